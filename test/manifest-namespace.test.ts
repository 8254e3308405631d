import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, startController, type RunningController } from './support/controller.js';
import { request } from './support/http.js';
import { startNginx } from './support/nginx.js';
import { freePort, startEchoBackend, type Backend } from './support/processes.js';

/**
 * Published manifests (ingress-nginx's docs, most deploy examples) carry no metadata.namespace: `kubectl
 * apply` puts them in the current namespace. Read from files they belong to `default`, or to `--namespace`.
 */
const CLI = join(process.cwd(), 'dist/cli/main.js');

function manifests(backendPort: number, serviceNamespace?: string): string {
  const ns = serviceNamespace ? `, namespace: ${serviceNamespace}` : '';
  return `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: portico }
spec: { controller: portico.dev/ingress-controller }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: docs-example }
spec:
  ingressClassName: portico
  rules:
    - host: ns.test
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: app, port: { number: 80 } } } }
---
apiVersion: v1
kind: Service
metadata: { name: app${ns} }
spec: { ports: [{ port: 80 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: app-1${ns}, labels: { kubernetes.io/service-name: app } }
addressType: IPv4
ports: [{ port: ${backendPort} }]
endpoints: [{ addresses: [127.0.0.1] }]
`;
}

describe('objects without metadata.namespace', () => {
  let dir: string;
  let backend: Backend;

  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'portico-ns-'));
    await chmod(dir, 0o755); // nginx's workers (nobody, when run as root) enter the state dirs below it
    backend = await startEchoBackend('app');
  });
  afterAll(async () => backend?.stop());

  async function renderAndGet(file: string, extra: string[]): Promise<{ exitCode?: number; stderr: string; status: number; service?: string }> {
    const state = join(dir, `state-${file}`);
    const out = join(dir, `${file}.conf`);
    const httpPort = await freePort();
    const r = await execa('node', [CLI, 'render', '--manifests', join(dir, file), '--state-dir', state, '--http-port', String(httpPort), '--https-port', String(await freePort()), '--out', out, ...extra], { reject: false });
    const nginx = await startNginx(state, out, httpPort);
    try {
      const reply = await request({ port: httpPort, host: 'ns.test', path: '/x' });
      return { exitCode: r.exitCode, stderr: String(r.stderr), status: reply.status, service: reply.echo?.service };
    } finally {
      await nginx.stop();
    }
  }

  test('render: they belong to default, and are accepted and served', async () => {
    await writeFile(join(dir, 'plain.yaml'), manifests(backend.port));
    const got = await renderAndGet('plain.yaml', []);
    expect(got).toMatchObject({ exitCode: 0, stderr: '', status: 200, service: 'app' });
  });

  test('render --namespace NAME: they belong to NAME, beside objects that name it explicitly', async () => {
    await writeFile(join(dir, 'shop.yaml'), manifests(backend.port, 'shop'));
    expect(await renderAndGet('shop.yaml', ['--namespace', 'shop'])).toMatchObject({ exitCode: 0, status: 200, service: 'app' });
    // Without the flag the Ingress is in default and its Service (in shop) is not found: 503, not a rejection.
    expect(await renderAndGet('shop.yaml', [])).toMatchObject({ exitCode: 0, status: 503 });
  });

  test('render --namespace refuses a value that is not a namespace name (exit 2)', async () => {
    const r = await execa('node', [CLI, 'render', '--manifests', dir, '--namespace', 'Not/A/Namespace'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--namespace.*namespace name/);
  });

  test('an ingressClassName with no IngressClass among the manifests: a warning line; --ingress-class-by-name serves it', async () => {
    const noClassObject = manifests(backend.port).replace(/^apiVersion: networking.k8s.io\/v1\nkind: IngressClass[\s\S]*?---\n/m, '').replace('ingressClassName: portico', 'ingressClassName: nginx');
    await writeFile(join(dir, 'by-name.yaml'), noClassObject);
    const ignored = await renderAndGet('by-name.yaml', ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx']);
    expect(ignored).toMatchObject({ exitCode: 0, status: 404 });
    expect(ignored.stderr).toContain('warning: Ingress default/docs-example: spec.ingressClassName "nginx" names no IngressClass object; not served');
    const owned = await renderAndGet('by-name.yaml', ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--ingress-class-by-name']);
    expect(owned).toMatchObject({ exitCode: 0, stderr: '', status: 200, service: 'app' });
  });

  describe('run --manifests (directory mode)', () => {
    let ctl: RunningController;
    afterAll(async () => ctl?.stop());

    test('they belong to default and are served; an added file without a namespace is served too', async () => {
      ctl = await startController({ files: { 'app.yaml': manifests(backend.port) } });
      await ctl.waitForBackend('ns.test', '/x', 'app');
      await ctl.writeFile('more.yaml', manifests(backend.port).replace(/docs-example/, 'second').replace(/ns\.test/, 'second.test'));
      const reply = await ctl.waitForBackend('second.test', '/', 'app');
      expect(reply.status).toBe(200);
    });
  });
});
