// Smoke test of the e2e harness and of manifests/: a real API server with RBAC takes every
// overlay, the controller's ServiceAccount has exactly the rights it needs, and a backend in a
// test network namespace can be published through a selector-less Service and EndpointSlice.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { startCluster, type Cluster } from './harness/cluster.js';
import { Kubectl } from './harness/kubectl.js';
import { createTestNetwork, type TestNetwork } from './harness/netns.js';
import { tokenKubeconfig } from './harness/serviceaccount.js';
import { waitFor } from './harness/process.js';

const MANIFESTS = resolve(process.cwd(), 'manifests');
const OVERLAYS = ['loadbalancer', 'nodeport', 'daemonset-hostnetwork'];
const SA = 'system:serviceaccount:portico:portico';

describe('e2e cluster harness and manifests', () => {
  let cluster: Cluster;
  let kubectl: Kubectl;
  const networks: TestNetwork[] = [];

  beforeAll(async () => {
    cluster = await startCluster();
    kubectl = new Kubectl(cluster.adminKubeconfigPath);
  });

  afterAll(async () => {
    for (const n of networks) await n.cleanup();
    await cluster?.stop();
  });

  it('serves the API with RBAC on', async () => {
    const version = JSON.parse(await kubectl.run(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } };
    expect(version.serverVersion.gitVersion).toMatch(/^v1\.33\./);
    expect(await kubectl.canI('*', '*')).toBe(true);
  });

  it('builds every overlay with kubectl kustomize', async () => {
    const base = await kubectl.kustomize(`${MANIFESTS}/base`);
    expect(base).toContain('kind: Deployment');
    for (const o of OVERLAYS) {
      const out = await kubectl.kustomize(`${MANIFESTS}/overlays/${o}`);
      expect(out).toContain('kind: ClusterRole');
      if (o === 'daemonset-hostnetwork') {
        expect(out).toContain('kind: DaemonSet');
        expect(out).not.toContain('kind: Deployment');
        expect(out).toContain('hostNetwork: true');
      } else {
        expect(out).toContain(o === 'loadbalancer' ? 'type: LoadBalancer' : 'type: NodePort');
      }
    }
  });

  it('applies the base and every overlay (server-side validation and dry run)', async () => {
    await kubectl.applyKustomize(`${MANIFESTS}/base`);
    // The overlays change kinds and Service types of the same objects: each is validated by the
    // server against the applied base (a dry run needs the namespace to exist), then one is applied.
    for (const o of OVERLAYS) {
      await kubectl.run(['apply', '-k', `${MANIFESTS}/overlays/${o}`, '--dry-run=server']);
    }
    await kubectl.applyKustomize(`${MANIFESTS}/overlays/loadbalancer`);
    const lb = await kubectl.getJson<{ spec: { type: string; externalTrafficPolicy: string } }>('service', 'portico', 'portico');
    expect(lb.spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    await kubectl.applyKustomize(`${MANIFESTS}/base`);
    const dep = await kubectl.getJson<{ spec: { template: { spec: { serviceAccountName: string } } } }>(
      'deployment',
      'portico',
      'portico',
    );
    expect(dep.spec.template.spec.serviceAccountName).toBe('portico');
    const ic = await kubectl.getJson<{ spec: { controller: string } }>('ingressclass', 'portico');
    expect(ic.spec.controller).toBe('portico.dev/ingress-controller');
    // Applying again changes nothing and still succeeds.
    await kubectl.applyKustomize(`${MANIFESTS}/base`);
  });

  it('gives the controller ServiceAccount what it uses and nothing more', async () => {
    const can = (verb: string, resource: string, o: { namespace?: string; subresource?: string } = {}) =>
      kubectl.canI(verb, resource, { as: SA, ...o });
    for (const r of ['ingresses.networking.k8s.io', 'ingressclasses.networking.k8s.io', 'services', 'endpointslices.discovery.k8s.io', 'secrets', 'configmaps']) {
      for (const verb of ['get', 'list', 'watch']) {
        expect([r, verb, await can(verb, r, { namespace: 'default' })]).toEqual([r, verb, true]);
      }
    }
    expect(await can('update', 'ingresses.networking.k8s.io', { namespace: 'default', subresource: 'status' })).toBe(true);
    expect(await can('patch', 'ingresses.networking.k8s.io', { namespace: 'default', subresource: 'status' })).toBe(true);
    expect(await can('create', 'events', { namespace: 'default' })).toBe(true);
    expect(await can('create', 'events.events.k8s.io', { namespace: 'default' })).toBe(true);
    expect(await can('create', 'leases.coordination.k8s.io', { namespace: 'portico' })).toBe(true);
    expect(await can('update', 'leases.coordination.k8s.io/portico-leader', { namespace: 'portico' })).toBe(true);

    expect(await can('create', 'secrets', { namespace: 'default' })).toBe(false);
    expect(await can('delete', 'pods', { namespace: 'default' })).toBe(false);
    expect(await can('update', 'ingresses.networking.k8s.io', { namespace: 'default' })).toBe(false);
    expect(await can('update', 'leases.coordination.k8s.io/someone-else', { namespace: 'portico' })).toBe(false);
    expect(await can('create', 'leases.coordination.k8s.io', { namespace: 'default' })).toBe(false);
  });

  it('authenticates as the ServiceAccount with a TokenRequest token', async () => {
    const sa = new Kubectl(await tokenKubeconfig(cluster, 'portico', 'portico'));
    const who = JSON.parse(await sa.run(['auth', 'whoami', '-o', 'json'])) as { status: { userInfo: { username: string } } };
    expect(who.status.userInfo.username).toBe(SA);
    expect((await sa.getJson<{ items: unknown[] }>('ingresses', undefined, 'default')).items).toEqual([]);
    const denied = await sa.exec(['create', 'secret', 'generic', 'nope', '-n', 'portico', '--from-literal=a=b']);
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toMatch(/forbidden/i);
  });

  it('publishes a backend in a test network namespace through a selector-less Service and EndpointSlice', async () => {
    const net = await createTestNetwork();
    networks.push(net);
    const [address] = net.addresses;
    net.runInNamespace('python3', ['-m', 'http.server', '8000', '--bind', address]);
    await waitFor('the backend', async () => (await fetch(`http://${address}:8000/`, { signal: AbortSignal.timeout(1_000) })).ok, {
      timeoutMs: 20_000,
    });

    await kubectl.run(['create', 'namespace', 'e2e-smoke']);
    await kubectl.applyObjects([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'e2e-smoke' },
        spec: { ports: [{ name: 'http', port: 80, targetPort: 8000, protocol: 'TCP' }] },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'web-1', namespace: 'e2e-smoke', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8000, protocol: 'TCP' }],
        endpoints: [{ addresses: [address], conditions: { ready: true } }],
      },
    ]);
    const svc = await kubectl.getJson<{ spec: { clusterIP: string } }>('service', 'web', 'e2e-smoke');
    expect(svc.spec.clusterIP).toMatch(/^10\.96\./);
    const slice = await kubectl.getJson<{ endpoints: { addresses: string[] }[] }>('endpointslice', 'web-1', 'e2e-smoke');
    expect(slice.endpoints[0].addresses).toEqual([address]);

    // What the API server refuses, and why the namespace exists.
    const loopback = await kubectl.exec(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'web-loopback', namespace: 'e2e-smoke', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8000, protocol: 'TCP' }],
        endpoints: [{ addresses: ['127.0.0.1'] }],
      }),
    });
    expect(loopback.exitCode).not.toBe(0);

    // The ServiceAccount reads them too.
    const sa = new Kubectl(await tokenKubeconfig(cluster, 'portico', 'portico'));
    const slices = await sa.getJson<{ items: { metadata: { name: string } }[] }>('endpointslices', undefined, 'e2e-smoke');
    expect(slices.items.map((s) => s.metadata.name)).toEqual(['web-1']);
  });

  it('restarts the API server with the same etcd, keeping its objects', async () => {
    await cluster.restartApiServer();
    const ns = await kubectl.getJson<{ metadata: { name: string } }>('namespace', 'e2e-smoke');
    expect(ns.metadata.name).toBe('e2e-smoke');
  });
});
