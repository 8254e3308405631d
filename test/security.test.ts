import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { chmod, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from '../src/store/types.js';
import { CORPUS_NS, HOSTILE_CA_SECRET, hostileCaMarker, hostileCaText, hostileCases, ingress, PREFIX, type HostileCase } from './fixtures/hostile-ingresses.js';
import { basic, shaHash } from './support/auth.js';
import { makeAuthority, makeCertificateAuthority } from './support/certs.js';
import { request } from './support/http.js';
import { nginxTest, startNginx, type RunningNginx } from './support/nginx.js';
import { freePort } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from './support/scenario.js';

/**
 * The security corpus, run the way a user runs Portico: hostile Ingresses (fixtures/hostile-ingresses.ts)
 * rendered together with good ones by the built CLI. None of the hostile text may reach nginx.conf, the
 * config must pass `nginx -t`, every hostile Ingress must be rejected with a line naming its field, and
 * the good Ingresses must still serve real requests.
 */
const CLI = resolve('dist/cli/main.js');

const secret = (name: string, namespace: string, data: Record<string, string>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', stringData: data }) as KubeObject;

describe('security corpus through portico render and a real nginx', () => {
  let backends: Backends;
  let cases: HostileCase[];
  let dir: string;
  let state: string;
  let conf: string;
  let stderr: string[];
  let exitCode: number | undefined;
  let httpPort: number;
  let nginx: RunningNginx | undefined;

  beforeAll(async () => {
    await execa('npm', ['run', 'build'], { reject: true });
    backends = await startBackends('app');
    cases = hostileCases();
    const backendCa = await makeAuthority('corpus-backend-ca');
    const goodIngresses = [
      ingress({ name: 'good', namespace: 'default', host: 'good.test' }),
      ingress({ name: 'good-auth', namespace: 'default', host: 'auth.good.test', annotations: { 'auth-type': 'basic', 'auth-secret': 'htpasswd', 'auth-realm': 'Good' } }),
      ingress({ name: 'good-range', namespace: 'default', host: 'range.good.test', annotations: { 'allowlist-source-range': '127.0.0.1/32' } }),
      ingress({ name: 'good-cors', namespace: 'default', host: 'cors.good.test', annotations: { 'enable-cors': 'true', 'cors-allow-origin': 'https://*.good.test' } }),
      ingress({ name: 'good-limit', namespace: 'default', host: 'limit.good.test', annotations: { 'limit-rps': '100' } }),
      ingress({ name: 'good-snippet', namespace: 'default', host: 'snippet.good.test', annotations: { 'configuration-snippet': 'add_header X-Good-Snippet "yes" always;' } }),
      // Hostile Secret content is not config text, and it must not open the door either: its lines are left out.
      ingress({ name: 'bad-htpasswd', namespace: 'default', host: 'badpw.good.test', annotations: { 'auth-type': 'basic', 'auth-secret': 'bad-htpasswd' } }),
      // A CA Secret with hostile text around its certificate: only the parsed certificate reaches the state dir.
      ingress({ name: 'good-mtls', namespace: 'default', host: 'mtls.good.test', annotations: { 'auth-tls-secret': 'default/client-ca' } }),
      // Every proxy-ssl-* key at once, for nginx -t (the real-traffic tests are test/compat/annotations-proxyssl.test.ts).
      ingress({
        name: 'good-proxyssl',
        namespace: 'default',
        host: 'proxyssl.good.test',
        annotations: {
          'backend-protocol': 'HTTPS',
          'proxy-ssl-secret': 'default/backend-ca',
          'proxy-ssl-verify': 'on',
          'proxy-ssl-verify-depth': '2',
          'proxy-ssl-name': 'backend.internal',
          'proxy-ssl-server-name': 'on',
          'proxy-ssl-protocols': 'TLSv1.3 TLSv1.2',
          'proxy-ssl-ciphers': 'HIGH:!aNULL:!MD5',
        },
      }),
      ingress({ name: 'good-grpcs-proxyssl', namespace: 'default', host: 'grpcs.good.test', annotations: { 'backend-protocol': 'GRPCS', 'proxy-ssl-secret': 'default/backend-ca', 'proxy-ssl-verify': 'on' } }),
    ];
    const ca = await makeCertificateAuthority('Corpus CA');
    const objects: KubeObject[] = [
      INGRESS_CLASS,
      ...serviceFor('default', 'app', [backends.by.app!]),
      ...serviceFor(CORPUS_NS, 'app', [backends.by.app!]),
      secret('htpasswd', 'default', { auth: `good:${shaHash('pass')}\n` }),
      secret('htpasswd', CORPUS_NS, { auth: `good:${shaHash('pass')}\n` }),
      secret('backend-ca', 'default', { 'ca.crt': backendCa.cert, 'tls.crt': backendCa.cert, 'tls.key': backendCa.key }),
      secret('backend-ca', CORPUS_NS, { 'ca.crt': backendCa.cert }),
      secret(HOSTILE_CA_SECRET, CORPUS_NS, { 'ca.crt': hostileCaText(hostileCaMarker) }),
      secret('bad-htpasswd', 'default', { auth: `good:${shaHash('pass')}\nevil:x y\n}\nssl_engine pwnsecret;\n` }),
      secret('client-ca', CORPUS_NS, { 'ca.crt': ca.cert }),
      secret('client-ca', 'default', { 'ca.crt': `}\nssl_engine pwnsecret;\n${ca.cert}\n# pwnsecret\n` }),
      ...goodIngresses,
      ...cases.map((c) => c.ingress),
    ];
    dir = await mkdtemp(join(tmpdir(), 'portico-security-'));
    await chmod(dir, 0o711); // workers (nobody when run as root) read the htpasswd files below it
    await writeFile(join(dir, 'all.yaml'), objects.map((o) => stringify(o)).join('---\n'));
    state = join(dir, 'state');
    const out = join(dir, 'nginx.conf');
    httpPort = await freePort();
    const r = await execa(
      'node',
      [CLI, 'render', '--manifests', dir, '--state-dir', state, '--out', out, '--http-port', String(httpPort), '--https-port', String(await freePort()), '--allow-snippet-annotations'],
      { reject: false },
    );
    exitCode = r.exitCode;
    stderr = r.stderr.split('\n');
    conf = await readFile(out, 'utf8');
    await nginxTest(state, out);
    await chmod(state, 0o711); // workers (nobody when run as root) read the htpasswd files below it
    nginx = await startNginx(state, out, httpPort);
  }, 120000);

  afterAll(async () => {
    await nginx?.stop();
    await backends?.stopAll();
  });

  test('exit code 3, and every hostile Ingress is rejected with one line naming its field', () => {
    expect(exitCode).toBe(3);
    const failures: string[] = [];
    for (const c of cases) {
      const prefix = `rejected Ingress ${c.namespace}/${c.name}: `;
      const lines = stderr.filter((l) => l.startsWith(prefix));
      const expected = `${prefix}${c.field}: `;
      if (lines.length !== 1 || !lines[0]!.startsWith(expected)) {
        failures.push(`${c.namespace}/${c.name}: expected one line starting ${JSON.stringify(expected)}, got ${JSON.stringify(lines)}`);
        continue;
      }
      const reason = lines[0]!.slice(expected.length);
      if (typeof c.reason === 'string' ? reason !== c.reason : !c.reason.test(reason)) {
        failures.push(`${c.namespace}/${c.name}: reason ${JSON.stringify(reason)} does not match ${String(c.reason)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  test('the good Ingresses are not rejected', () => {
    expect(stderr.filter((l) => /^rejected Ingress default\//.test(l))).toEqual([]);
    const hostileNames = new Set(cases.map((c) => `${c.namespace}/${c.name}`));
    const rejected = stderr.filter((l) => l.startsWith('rejected Ingress ')).map((l) => /^rejected Ingress (\S+?): /.exec(l)![1]);
    expect(rejected.filter((n) => !hostileNames.has(n!))).toEqual([]);
  });

  test('a sample of the exact rejection lines', () => {
    for (const line of [
      'rejected Ingress corpus/host-newline: spec.rules[0].host: character U+000A is not allowed',
      'rejected Ingress corpus/path-semicolon: spec.rules[0].http.paths[0].path: character ";" is not allowed',
      'rejected Ingress corpus/tls-secret: spec.tls[0].secretName: must be a lowercase DNS subdomain (a-z, 0-9, "-" and ".")',
      `rejected Ingress corpus/ann-auth-url-7: metadata.annotations[${PREFIX}/auth-url]: character "$" is not allowed`,
      `rejected Ingress corpus/ann-auth-secret-11: metadata.annotations[${PREFIX}/auth-secret]: must be NAME or NAMESPACE/NAME`,
      `rejected Ingress corpus/ann-configuration-snippet-10: metadata.annotations[${PREFIX}/configuration-snippet]: must not use *_by_lua*`,
      `rejected Ingress corpus/ann-configuration-snippet-3: metadata.annotations[${PREFIX}/configuration-snippet]: a "}" closes a block the snippet did not open`,
      `rejected Ingress corpus/ann-whitelist-source-range-0: metadata.annotations[${PREFIX}/whitelist-source-range]: "a\\nssl_engine pwn`,
    ]) {
      expect(stderr.some((l) => l.startsWith(line))).toBe(true);
    }
  });

  test('none of the hostile text is in nginx.conf', () => {
    const found = cases.filter((c) => conf.includes(c.marker)).map((c) => `${c.name}: ${c.marker}`);
    expect(found).toEqual([]);
    // The only modules loaded are Debian's that Portico itself asks for (headers-more for server-tokens), by fixed lines.
    const ownModules = /^load_module "?\/usr\/lib\/nginx\/modules\/(ngx_http_headers_more_filter_module|ndk_http_module|ngx_http_set_misc_module)\.so"?;$/gm;
    const rest = conf.replace(ownModules, '');
    for (const re of [/ssl_engine/, /load_module/, /_by_lua/, /\binclude\b/, /6666/, /\/etc\//, /pwnsecret/, /corpus/]) expect([String(re), re.test(rest)]).toEqual([String(re), false]);
    expect(conf).not.toMatch(/[^\x20-\x7e\n]/);
  });

  test('the good Ingresses serve real requests next to the rejected ones', async () => {
    const get = (host: string, path = '/', extra: Record<string, unknown> = {}) => request({ port: httpPort, host, path, ...extra });
    const good = await get('good.test', '/x');
    expect([good.status, good.echo?.service, good.echo?.path]).toEqual([200, 'app', '/x']);
    expect((await get('auth.good.test')).status).toBe(401);
    expect((await get('auth.good.test', '/', { headers: basic('good', 'wrong') })).status).toBe(401);
    expect((await get('auth.good.test', '/', { headers: basic('good', 'pass') })).status).toBe(200);
    expect((await get('range.good.test', '/', { localAddress: '127.0.0.1' })).status).toBe(200);
    expect((await get('range.good.test', '/', { localAddress: '127.0.0.2' })).status).toBe(403);
    const cors = await get('cors.good.test', '/', { headers: { origin: 'https://a.good.test' } });
    expect([cors.status, cors.headers['access-control-allow-origin']]).toEqual([200, 'https://a.good.test']);
    expect((await get('limit.good.test')).status).toBe(200);
    expect((await get('snippet.good.test')).headers['x-good-snippet']).toBe('yes');
    // verify-client on: plain http has no certificate to check, so nginx's 400 answers.
    expect((await get('mtls.good.test')).status).toBe(400);
    for (const f of (await readdir(join(state, 'certs'))).filter((n) => n.endsWith('.ca.pem'))) {
      expect(await readFile(join(state, 'certs', f), 'utf8')).not.toMatch(/pwnsecret|ssl_engine/);
    }
  });

  test('hostile htpasswd lines are left out with a warning each (nobody signs in with them); the usable line still works', async () => {
    // As ingress-nginx, an unusable line signs nobody in (401) and does not lock out the others.
    expect((await request({ port: httpPort, host: 'badpw.good.test', path: '/', headers: basic('good', 'pass') })).status).toBe(200);
    expect((await request({ port: httpPort, host: 'badpw.good.test', path: '/', headers: basic('evil', 'x y') })).status).toBe(401);
    for (const line of ['line 2 of "auth": the password hash is not valid', 'line 3 of "auth" is not USER:HASH', 'line 4 of "auth" is not USER:HASH']) {
      expect(stderr).toContain(`warning: Ingress default/bad-htpasswd: auth-secret: Secret default/bad-htpasswd: ${line}; the line is ignored (nobody signs in with it)`);
    }
    const authDir = join(state, 'auth');
    for (const f of await readdir(authDir)) expect(await readFile(join(authDir, f), 'utf8')).not.toMatch(/pwnsecret|evil/);
  });

  test('the hosts of rejected Ingresses are not served', async () => {
    for (const host of ['path-semicolon.corpus.test', 'ann-auth-url-0.corpus.test', 'ann-configuration-snippet-0.corpus.test']) {
      expect([host, (await request({ port: httpPort, host, path: '/' })).status]).toEqual([host, 404]);
    }
  });
});
