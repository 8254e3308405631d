import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../src/store/types.js';
import { startFastcgiBackend, type Backend } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startScenario, type Scenario } from './support/scenario.js';

const P = 'nginx.ingress.kubernetes.io';
const NS = 'php';

function ingress(name: string, host: string, path: string, annotations: Record<string, string>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NS, annotations, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      ingressClassName: 'portico',
      rules: [{ host, http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: 'fcgi', port: { number: 9000 } } } }] } }],
    },
  } as KubeObject;
}

function configMap(name: string, data: Record<string, string>, namespace = NS): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data } as KubeObject;
}

interface FastcgiReply {
  message: string;
  params: Record<string, string>;
  names: string[];
  duplicates: string[];
  body: string;
}

/** A rejection's field (the annotation) and reason, as the report line shows them. */
function rejection(s: Scenario, name: string): string | undefined {
  const r = s.model.rejections.find((x) => x.ingress.name === name);
  return r && `${r.field}: ${r.reason}`;
}

/** The location block of a host's server in the rendered config. */
function serverBlock(conf: string, host: string): string {
  return conf.split(/\n    server \{/).find((b) => b.includes(`server_name "${host}"`)) ?? '';
}

// Values a params ConfigMap must never carry into nginx.conf: each is refused naming its key.
const HOSTILE: Record<string, string> = {
  semicolon: '/x; include /etc/passwd',
  quote: '/x" ; deny all; "',
  newline: '/x\nfastcgi_pass evil:1',
  brace: '/x} server {',
  unknownVariable: '$document_root$secret_file',
  backslash: '/x\\"',
};

describe('backend-protocol FCGI through real nginx to a FastCGI responder', () => {
  let fcgi: Backend;
  let s: Scenario;

  beforeAll(async () => {
    fcgi = await startFastcgiBackend('php-fpm');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor(NS, 'fcgi', [fcgi], { port: 9000 }),
      // ingress-nginx's e2e "should add fastcgi_param in the configuration file" ConfigMap, plus the docs' value.
      configMap('fastcgi-configmap', { SCRIPT_FILENAME: '/home/www/scripts/php$fastcgi_script_name', REDIRECT_STATUS: '200', APP_ENV: 'prod' }),
      configMap('docs-cm', { SCRIPT_FILENAME: '$document_root$fastcgi_script_name', DOCUMENT_ROOT: '/var/www/html' }),
      ...Object.entries(HOSTILE).map(([key, value]) => configMap(`hostile-${key.toLowerCase()}`, { GOOD: 'fine', [`BAD_${key.toUpperCase()}`]: value })),
      configMap('bad-key', { 'HTTP-PROXY': 'x' }),
      configMap('fastcgi-configmap', { SCRIPT_FILENAME: '/elsewhere.php' }, 'other'),
      ingress('fcgi-plain', 'fastcgi', '/hello', { [`${P}/backend-protocol`]: 'FCGI' }),
      ingress('fcgi-index', 'fastcgi-index', '/', { [`${P}/backend-protocol`]: 'FCGI', [`${P}/fastcgi-index`]: 'index.php' }),
      ingress('fcgi-params', 'fastcgi-params-configmap', '/hello', { [`${P}/backend-protocol`]: 'FCGI', [`${P}/fastcgi-params-configmap`]: 'fastcgi-configmap' }),
      ingress('fcgi-docs', 'app.example.com', '/', {
        [`${P}/backend-protocol`]: 'fcgi',
        [`${P}/fastcgi-index`]: 'index.php',
        [`${P}/fastcgi-params-configmap`]: `${NS}/docs-cm`,
      }),
      ingress('fcgi-missing-cm', 'missing-cm', '/', { [`${P}/backend-protocol`]: 'FCGI', [`${P}/fastcgi-params-configmap`]: 'nope' }),
      ingress('fcgi-other-ns', 'other-ns', '/', { [`${P}/backend-protocol`]: 'FCGI', [`${P}/fastcgi-params-configmap`]: 'other/fastcgi-configmap' }),
      ingress('fcgi-bad-index', 'bad-index', '/', { [`${P}/backend-protocol`]: 'FCGI', [`${P}/fastcgi-index`]: 'index.php;' }),
      ingress('fcgi-bad-key', 'bad-key', '/', { [`${P}/backend-protocol`]: 'FCGI', [`${P}/fastcgi-params-configmap`]: 'bad-key' }),
      ...Object.keys(HOSTILE).map((key) =>
        ingress(`hostile-${key.toLowerCase()}`, `hostile-${key.toLowerCase()}`, '/', { [`${P}/backend-protocol`]: 'FCGI', [`${P}/fastcgi-params-configmap`]: `hostile-${key.toLowerCase()}` }),
      ),
    ]);
  }, 30000);

  afterAll(async () => {
    await s?.stop();
    await fcgi?.stop();
  });

  const reply = async (host: string, path: string, extra: { method?: string; body?: string; headers?: Record<string, string> } = {}) => {
    const r = await s.get(host, path, extra);
    return { status: r.status, body: r.body, fcgi: r.status === 200 ? (JSON.parse(r.body) as FastcgiReply) : undefined };
  };

  // ingress-nginx test/e2e/annotations/fastcgi.go, "should use fastcgi_pass in the configuration file":
  // its server block holds the standard params (`include /etc/nginx/fastcgi_params;`) and fastcgi_pass.
  // Portico writes the same parameters out instead of including a file outside its state dir.
  test('fastcgi_pass with the standard parameters, written out (no include)', () => {
    const server = serverBlock(s.conf, 'fastcgi');
    expect(server).toContain('fastcgi_pass ');
    expect(server).toContain('fastcgi_param SCRIPT_NAME "$fastcgi_script_name";');
    expect(server).toContain('fastcgi_param HTTPS "$https" if_not_empty;');
    expect(server).not.toContain('proxy_pass');
    expect(s.conf).not.toMatch(/include\s+\/etc\/nginx\/fastcgi/);
  });

  // ingress-nginx fastcgi.go, "should return OK for service with backend protocol FastCGI": GET /hello → 200, "Hello world!".
  test('a GET reaches the FastCGI responder with the standard CGI parameters', async () => {
    const r = await reply('fastcgi', '/hello/world.php?a=1&b=two');
    expect(r.status).toBe(200);
    expect(r.body).toContain('Hello world!');
    expect(r.fcgi!.params).toMatchObject({
      REQUEST_METHOD: 'GET',
      QUERY_STRING: 'a=1&b=two',
      SCRIPT_NAME: '/hello/world.php',
      REQUEST_URI: '/hello/world.php?a=1&b=two',
      DOCUMENT_URI: '/hello/world.php',
      SERVER_PROTOCOL: 'HTTP/1.1',
      REQUEST_SCHEME: 'http',
      GATEWAY_INTERFACE: 'CGI/1.1',
      REMOTE_ADDR: '127.0.0.1',
      SERVER_PORT: String(s.httpPort),
      SERVER_NAME: 'fastcgi',
      REDIRECT_STATUS: '200',
      HTTP_HOST: 'fastcgi',
    });
    expect(r.fcgi!.params.SERVER_SOFTWARE).toMatch(/^nginx\/\d+\.\d+\.\d+$/);
    // HTTPS is sent only when non-empty (if_not_empty), as in nginx's stock fastcgi_params.
    expect(r.fcgi!.names).not.toContain('HTTPS');
    expect(r.fcgi!.duplicates).toEqual([]);
  });

  test('a POST reaches it with its method, content type, length and body', async () => {
    const r = await reply('fastcgi', '/hello/form.php', { method: 'POST', body: 'name=portico&x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(200);
    expect(r.fcgi!.params).toMatchObject({ REQUEST_METHOD: 'POST', CONTENT_TYPE: 'application/x-www-form-urlencoded', CONTENT_LENGTH: '16' });
    expect(r.fcgi!.body).toBe('name=portico&x=1');
  });

  // ingress-nginx fastcgi.go, "should add fastcgi_index in the configuration file": `fastcgi_index "index.php";`.
  test('fastcgi-index becomes fastcgi_index: a URI ending in / gets the index in SCRIPT_NAME', async () => {
    expect(serverBlock(s.conf, 'fastcgi-index')).toContain('fastcgi_index "index.php";');
    const r = await reply('fastcgi-index', '/shop/');
    expect(r.fcgi!.params.SCRIPT_NAME).toBe('/shop/index.php');
  });

  // ingress-nginx fastcgi.go, "should add fastcgi_param in the configuration file":
  // `fastcgi_param SCRIPT_FILENAME "/home/www/scripts/php$fastcgi_script_name";` and `fastcgi_param REDIRECT_STATUS "200";`.
  test('the params ConfigMap becomes fastcgi_param lines, and the responder sees them', async () => {
    const server = serverBlock(s.conf, 'fastcgi-params-configmap');
    expect(server).toContain('fastcgi_param SCRIPT_FILENAME "/home/www/scripts/php$fastcgi_script_name";');
    expect(server).toContain('fastcgi_param REDIRECT_STATUS "200";');
    const r = await reply('fastcgi-params-configmap', '/hello/index.php');
    expect(r.fcgi!.params).toMatchObject({ SCRIPT_FILENAME: '/home/www/scripts/php/hello/index.php', REDIRECT_STATUS: '200', APP_ENV: 'prod' });
    // A key of the standard list replaces it rather than being sent twice.
    expect(r.fcgi!.duplicates).toEqual([]);
  });

  // ingress-nginx docs/user-guide/fcgi-services.md: SCRIPT_FILENAME "$document_root$fastcgi_script_name", index.php.
  test('the docs example: NAMESPACE/NAME reference, $document_root$fastcgi_script_name and the index', async () => {
    const r = await reply('app.example.com', '/');
    expect(r.status).toBe(200);
    expect(r.fcgi!.params).toMatchObject({ DOCUMENT_ROOT: '/var/www/html', SCRIPT_NAME: '/index.php' });
    // $document_root is nginx's root (not the DOCUMENT_ROOT parameter), as in ingress-nginx.
    expect(r.fcgi!.params.SCRIPT_FILENAME).toMatch(/\/index\.php$/);
    expect(r.fcgi!.duplicates).toEqual([]);
  });

  // ingress-nginx's fastcgi parser returns LocationDenied for a ConfigMap it cannot read: the location answers 503.
  test('a missing params ConfigMap: the paths answer 503 with a warning, the Ingress is not rejected', async () => {
    expect((await reply('missing-cm', '/')).status).toBe(503);
    expect(s.model.rejections.find((r) => r.ingress.name === 'fcgi-missing-cm')).toBeUndefined();
    expect(s.model.warnings.find((w) => w.ingress?.name === 'fcgi-missing-cm')?.message).toMatch(/ConfigMap php\/nope not found/);
  });

  test('a ConfigMap of another namespace is refused, naming the annotation', async () => {
    expect(rejection(s, 'fcgi-other-ns')).toMatch(/fastcgi-params-configmap.*another namespace/);
    expect(s.conf).not.toContain('/elsewhere.php');
    expect((await reply('other-ns', '/')).status).not.toBe(200);
  });

  test('a fastcgi-index that could carry text into nginx.conf is refused', () => {
    expect(rejection(s, 'fcgi-bad-index')).toMatch(/fastcgi-index.*character ";"/);
  });

  test('a parameter name outside [A-Za-z0-9_] is refused, naming the key', () => {
    expect(s.model.rejections.find((r) => r.ingress.name === 'fcgi-bad-key')?.reason).toMatch(/ConfigMap php\/bad-key key "HTTP-PROXY"/);
  });

  test.each(Object.keys(HOSTILE))('a hostile params value (%s) rejects the Ingress naming the key; none of its text reaches nginx.conf', async (key) => {
    const name = `hostile-${key.toLowerCase()}`;
    const rejected = s.model.rejections.find((r) => r.ingress.name === name);
    expect(rejected?.whole).toBe(true);
    expect(rejected?.reason).toContain(`ConfigMap php/${name} key BAD_${key.toUpperCase()}:`);
    const value = HOSTILE[key]!;
    expect(rejected?.reason).not.toContain(value);
    expect(s.conf).not.toContain(value);
    expect(s.conf).not.toContain(`BAD_${key.toUpperCase()}`);
    expect(serverBlock(s.conf, name)).toBe('');
    // Nothing of the hostile Ingress is served; the other FCGI Ingresses still are.
    expect((await reply(name, '/')).status).not.toBe(200);
    expect((await reply('fastcgi', '/hello')).status).toBe(200);
  });
});
