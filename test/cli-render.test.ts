import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from './support/http.js';
import { startNginx } from './support/nginx.js';
import { freePort, startEchoBackend, type Backend } from './support/processes.js';

/** `portico render` run as a user runs it: the built CLI, as a child process. */
const CLI = resolve('dist/cli/main.js');
const portico = (args: string[]) => execa('node', [CLI, ...args], { reject: false });

const GOOD = `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: portico }
spec: { controller: portico.dev/ingress-controller }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: good, namespace: default }
spec:
  ingressClassName: portico
  rules:
    - host: good.test
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: app, port: { number: 80 } } } }
`;

const BAD = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: bad
  namespace: default
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: "/x; ssl_engine evil"
spec:
  ingressClassName: portico
  rules:
    - host: bad.test
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: app, port: { number: 80 } } } }
`;

describe('portico render (the CLI contract)', () => {
  let dir: string;
  let backend: Backend;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portico-cli-'));
    await chmod(dir, 0o755); // nginx's workers (nobody, when run as root) enter the state dirs below it
    backend = await startEchoBackend('app');
    const endpoints = `
apiVersion: v1
kind: Service
metadata: { name: app, namespace: default }
spec: { ports: [{ port: 80 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: app-1, namespace: default, labels: { kubernetes.io/service-name: app } }
addressType: IPv4
ports: [{ port: ${backend.port} }]
endpoints: [{ addresses: [127.0.0.1] }]
`;
    await writeFile(join(dir, 'good.yaml'), GOOD);
    await writeFile(join(dir, 'app.yml'), endpoints);
    await writeFile(join(dir, 'bad.yaml.txt'), 'not: [read');
  });

  afterAll(async () => backend?.stop());

  test('exit 0: the output runs unchanged with nginx -p STATE -c FILE and serves', async () => {
    const state = join(dir, 'state-ok');
    const out = join(dir, 'ok.conf');
    const httpPort = await freePort();
    const r = await portico(['render', '--manifests', dir, '--state-dir', state, '--http-port', String(httpPort), '--https-port', String(await freePort()), '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const nginx = await startNginx(state, out, httpPort);
    try {
      const reply = await request({ port: httpPort, host: 'good.test', path: '/x' });
      expect(reply.echo?.service).toBe('app');
    } finally {
      await nginx.stop();
    }
    expect((await stat(join(state, 'certs'))).mode & 0o777).toBe(0o700);
  });

  test('stdout when --out is absent', async () => {
    const r = await portico(['render', '--manifests', join(dir, 'good.yaml'), '--manifests', join(dir, 'app.yml'), '--state-dir', join(dir, 'state-stdout')]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/server_name "good\.test";/);
  });

  test('--out writes a config of over 1 MiB byte for byte as stdout prints it', async () => {
    const many = join(dir, 'many');
    await mkdir(many);
    // One Ingress per host: an Ingress is limited to 1,000 rules.
    const ingress = (i: number) => GOOD.slice(GOOD.indexOf('kind: Ingress\n')).replace(/good/g, `h${i}`).replace('path: /,', `path: /p${i},`);
    await writeFile(join(many, 'many.yaml'), [GOOD, ...Array.from({ length: 3000 }, (_, i) => `apiVersion: networking.k8s.io/v1\n${ingress(i)}`)].join('---\n'));
    const args = ['render', '--manifests', many, '--manifests', join(dir, 'app.yml'), '--state-dir', join(dir, 'state-many')];
    const out = join(dir, 'many.conf');
    const [printed, written] = [await portico(args), await portico([...args, '--out', out])];
    expect([printed.exitCode, written.exitCode]).toEqual([0, 0]);
    const text = await readFile(out, 'utf8');
    expect(text.length).toBeGreaterThan(1 << 20); // more than one slice
    expect(text).toContain('server_name "h2999.test";');
    expect(text).toBe(`${printed.stdout}\n`);
  });

  test('exit 3 with one stderr line per rejected Ingress; the others are still written', async () => {
    const bad = join(dir, 'with-bad');
    await execa('mkdir', ['-p', bad]);
    await writeFile(join(bad, 'good.yaml'), GOOD);
    await writeFile(join(bad, 'bad.yaml'), BAD);
    const out = join(dir, 'bad.conf');
    const r = await portico(['render', '--manifests', bad, '--state-dir', join(dir, 'state-bad'), '--out', out]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr.split('\n')).toContain(
      'rejected Ingress default/bad: metadata.annotations[nginx.ingress.kubernetes.io/rewrite-target]: only URI path characters and $1..$9 capture references are allowed',
    );
    const conf = await readFile(out, 'utf8');
    expect(conf).toContain('server_name "good.test";');
    expect(conf).not.toContain('ssl_engine');
    expect(conf).not.toContain('bad.test');
  });

  test('exit 2 for a manifest that cannot be parsed, naming the file and the document', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(file, `${GOOD}\n---\nkind: Ingress\nmetadata: { name: [oops\n`);
    const r = await portico(['render', '--manifests', file, '--state-dir', join(dir, 'state-broken')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${file} (document 3)`);
  });

  test('exit 2 for a YAML alias bomb, naming the file and the document', async () => {
    const file = join(dir, 'laughs.yaml');
    const levels = ['    l0: &l0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`    l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
    const bomb = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: laughs\n  namespace: default\n  labels:\n${levels.join('\n')}\ndata:\n  key: *l8\n`;
    await writeFile(file, `${GOOD}\n---\n${bomb}`);
    const r = await portico(['render', '--manifests', file, '--state-dir', join(dir, 'state-laughs'), '--configmap', 'default/laughs']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${file} (document 3): YAML aliases expand this document to more than`);
  });

  test('exit 2 for usage errors', async () => {
    expect((await portico(['render'])).exitCode).toBe(2);
    expect((await portico(['render', '--manifests', dir, '--http-port', 'eighty'])).exitCode).toBe(2);
    expect((await portico(['render', '--manifests', join(dir, 'nope')])).exitCode).toBe(2);
    expect((await portico(['frobnicate'])).exitCode).toBe(2);
  });

  test('ownership flags: the legacy class annotation and classless Ingresses', async () => {
    const legacy = join(dir, 'legacy.yaml');
    await writeFile(
      legacy,
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: legacy
  namespace: default
  annotations: { kubernetes.io/ingress.class: nginx }
spec:
  rules: [{ host: legacy.test, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: app, port: { number: 80 } } } }] } }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: classless, namespace: default }
spec:
  rules: [{ host: classless.test, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: app, port: { number: 80 } } } }] } }]
`,
    );
    const base = ['render', '--manifests', legacy, '--state-dir', join(dir, 'state-own')];
    const plain = await portico(base);
    expect(plain.stdout).not.toContain('legacy.test');
    expect(plain.stdout).not.toContain('classless.test');
    const nginxClass = await portico([...base, '--ingress-class', 'nginx']);
    expect(nginxClass.stdout).toContain('server_name "legacy.test";');
    expect(nginxClass.stdout).not.toContain('classless.test');
    const classless = await portico([...base, '--watch-ingress-without-class']);
    expect(classless.stdout).toContain('server_name "classless.test";');
    expect(classless.stdout).not.toContain('legacy.test');
  });
});
