// The controller against a real API server, with exactly the RBAC of manifests/base: Ingresses made
// with kubectl are served by its nginx, status and Events are written by the leader, API server
// restarts are survived, and leadership moves when the leader dies. The backends are Deployments run by
// the process kubelet, their EndpointSlices written by kube-controller-manager.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { startCluster, type Cluster } from './harness/cluster.js';
import { Kubectl } from './harness/kubectl.js';
import { startKubelet, type Kubelet } from './harness/kubelet.js';
import { waitFor } from './harness/process.js';
import { tokenKubeconfig } from './harness/serviceaccount.js';
import { makeCertificate, tlsSecret } from '../test/support/certs.js';
import { request } from '../test/support/http.js';
import { echoWorkload, waitEndpointsReady, startControllerProcess, type ControllerProcess } from './controller-process.js';

const MANIFESTS = resolve(process.cwd(), 'manifests');
const NS = 'e2e-apps';
const ADDRESS_A = '192.0.2.10';
/** How long a change may take to reach nginx (informer event + debounce + reload). */
const CONVERGE_MS = 20_000;

interface IngressJson {
  metadata: { name: string; uid: string };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
}

function ingress(name: string, host: string, service: string, opts: { path?: string; className?: string; annotations?: Record<string, string> } = {}) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NS, annotations: opts.annotations ?? {} },
    spec: {
      ingressClassName: opts.className ?? 'portico',
      rules: [
        {
          host,
          http: { paths: [{ path: opts.path ?? '/', pathType: 'Prefix', backend: { service: { name: service, port: { name: 'http' } } } }] },
        },
      ],
    },
  };
}

describe('portico run against a real API server', () => {
  let cluster: Cluster;
  let admin: Kubectl;
  let kubelet: Kubelet;
  let saKubeconfig: string;
  const controllers: ControllerProcess[] = [];
  let a: ControllerProcess;

  const status = async (name: string): Promise<Array<{ ip?: string; hostname?: string }>> =>
    (await admin.getJson<IngressJson>('ingress', name, NS)).status?.loadBalancer?.ingress ?? [];

  const waitServed = async (c: ControllerProcess, host: string, path: string, service: string | null, want = 200): Promise<void> => {
    let last = '';
    await waitFor(
      `${host}${path} → ${service ?? want} on ${c.identity}`,
      async () => {
        const r = await c.get(host, path);
        last = `${r.status} ${r.service ?? r.body.slice(0, 60)}`;
        return r.status === want && (service === null || r.service === service);
      },
      { timeoutMs: CONVERGE_MS, intervalMs: 200, abort: () => (c.running() ? undefined : `controller exited:\n${c.output().slice(-3000)}`) },
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last: ${last})\n--- controller output (tail) ---\n${c.output().slice(-3000)}`);
    });
  };

  beforeAll(async () => {
    cluster = await startCluster({ controllers: true });
    kubelet = await startKubelet(cluster);
    admin = new Kubectl(cluster.adminKubeconfigPath);
    await admin.applyKustomize(`${MANIFESTS}/base`);
    saKubeconfig = await tokenKubeconfig(cluster, 'portico', 'portico');

    await admin.run(['create', 'namespace', NS]);
    await admin.applyObjects([
      ...echoWorkload(NS, 'svc-a'),
      ...echoWorkload(NS, 'svc-b'),
      { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'other' }, spec: { controller: 'example.com/other' } },
    ]);
    await waitEndpointsReady(admin, NS, 'svc-a');
    await waitEndpointsReady(admin, NS, 'svc-b');

    a = await startControllerProcess({
      kubeconfig: saKubeconfig,
      identity: 'replica-a',
      args: ['--publish-status-address', `${ADDRESS_A},lb-a.example.test`],
    });
    controllers.push(a);
  }, 240_000);

  afterAll(async () => {
    for (const c of controllers) await c.stop().catch(() => undefined);
    await kubelet?.stop();
    await cluster?.stop();
  }, 120_000);

  it('serves an Ingress created with kubectl, and follows a change and a deletion', async () => {
    await admin.applyObjects([ingress('web', 'web.e2e.test', 'svc-a')]);
    await waitServed(a, 'web.e2e.test', '/hello', 'svc-a');
    const r = await a.get('web.e2e.test', '/hello');
    expect(r.path).toBe('/hello');

    await admin.applyObjects([ingress('web', 'web.e2e.test', 'svc-b')]);
    await waitServed(a, 'web.e2e.test', '/hello', 'svc-b');

    await admin.delete('ingress', 'web', NS);
    await waitServed(a, 'web.e2e.test', '/hello', null, 404);
  });

  it('terminates TLS with a certificate from a Secret created through the API', async () => {
    const cert = await makeCertificate('secure.e2e.test');
    const tls = { ...ingress('secure', 'secure.e2e.test', 'svc-a'), spec: { ...ingress('secure', 'secure.e2e.test', 'svc-a').spec, tls: [{ hosts: ['secure.e2e.test'], secretName: 'secure-tls' }] } };
    await admin.applyObjects([tlsSecret(NS, 'secure-tls', cert), tls]);
    let last = '';
    await waitFor(
      'https secure.e2e.test with its own certificate',
      async () => {
        const r = await request({ port: a.httpsPort, host: 'secure.e2e.test', path: '/tls', tls: { servername: 'secure.e2e.test' } });
        last = `${r.status} ${r.peerCertificate?.subject?.CN}`;
        return r.status === 200 && r.echo?.service === 'svc-a' && r.peerCertificate?.subject?.CN === 'secure.e2e.test';
      },
      { timeoutMs: CONVERGE_MS, intervalMs: 300 },
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last: ${last})\n${a.output().slice(-2000)}`);
    });
    // Plain http on a TLS host is redirected to https.
    expect((await a.get('secure.e2e.test', '/tls')).status).toBe(308);
    await admin.delete('ingress', 'secure', NS);
  });

  it('publishes the address in status.loadBalancer of owned Ingresses only, and no route for another class', async () => {
    await admin.applyObjects([ingress('mine', 'mine.e2e.test', 'svc-a'), ingress('theirs', 'theirs.e2e.test', 'svc-b', { className: 'other' })]);
    await waitServed(a, 'mine.e2e.test', '/', 'svc-a');
    await waitFor('status of mine', async () => (await status('mine')).length > 0, { timeoutMs: CONVERGE_MS });
    expect(await status('mine')).toEqual(expect.arrayContaining([{ ip: ADDRESS_A }, { hostname: 'lb-a.example.test' }]));
    expect(await status('mine')).toHaveLength(2);

    // The other class's Ingress: no route and no status, even after several syncs.
    expect((await a.get('theirs.e2e.test', '/')).status).toBe(404);
    await admin.applyObjects([ingress('mine', 'mine.e2e.test', 'svc-a', { path: '/x' })]); // one more sync
    await waitServed(a, 'mine.e2e.test', '/x', 'svc-a');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await status('theirs')).toEqual([]);
    expect((await a.get('theirs.e2e.test', '/')).status).toBe(404);

    // An Ingress that moves to another class loses our address.
    await admin.applyObjects([ingress('mine', 'mine.e2e.test', 'svc-a', { className: 'other' })]);
    await waitFor('status of mine cleared', async () => (await status('mine')).length === 0, { timeoutMs: CONVERGE_MS });
    await waitServed(a, 'mine.e2e.test', '/x', null, 404);
  });

  it('writes a Warning Event naming the reason of a rejected Ingress, and a Normal Sync for an applied one', async () => {
    await admin.applyObjects([
      ingress('bad', 'bad.e2e.test', 'svc-a', { annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'maybe' } }),
      ingress('good', 'good.e2e.test', 'svc-b'),
    ]);
    await waitServed(a, 'good.e2e.test', '/', 'svc-b');
    type EventList = { items: Array<{ type: string; reason: string; note: string; regarding: { name: string; uid?: string }; reportingController: string; reportingInstance: string }> };
    const eventsFor = async (name: string) =>
      (await admin.getJson<EventList>('events.events.k8s.io', undefined, NS)).items.filter((e) => e.regarding.name === name);
    await waitFor('Rejected event', async () => (await eventsFor('bad')).some((e) => e.reason === 'Rejected'), { timeoutMs: CONVERGE_MS });
    const rejected = (await eventsFor('bad')).filter((e) => e.reason === 'Rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ type: 'Warning', reportingController: 'portico.dev/ingress-controller', reportingInstance: 'replica-a' });
    expect(rejected[0]!.note).toContain('nginx.ingress.kubernetes.io/use-regex');
    expect(rejected[0]!.note).toContain('must be "true" or "false"');
    expect(rejected[0]!.regarding.uid).toBe((await admin.getJson<IngressJson>('ingress', 'bad', NS)).metadata.uid);
    expect((await a.get('bad.e2e.test', '/')).status).toBe(404);
    expect(await status('bad')).toEqual([]);

    await waitFor('Sync event', async () => (await eventsFor('good')).some((e) => e.reason === 'Sync'), { timeoutMs: CONVERGE_MS });
    expect((await eventsFor('good')).filter((e) => e.reason === 'Sync')[0]!.type).toBe('Normal');

    // More syncs do not repeat the same Warning.
    await admin.applyObjects([ingress('good', 'good.e2e.test', 'svc-a')]);
    await waitServed(a, 'good.e2e.test', '/', 'svc-a');
    await waitFor('second Sync event', async () => (await eventsFor('good')).filter((e) => e.reason === 'Sync').length === 2, { timeoutMs: CONVERGE_MS });
    expect((await eventsFor('bad')).filter((e) => e.reason === 'Rejected')).toHaveLength(1);

    // An annotation Portico does not support: served anyway, and one Warning Event names the annotation.
    await admin.applyObjects([ingress('legacy', 'legacy.e2e.test', 'svc-a', { annotations: { 'nginx.ingress.kubernetes.io/enable-opentelemetry': 'true' } })]);
    await waitServed(a, 'legacy.e2e.test', '/', 'svc-a');
    await waitFor('ignored-annotation event', async () => (await eventsFor('legacy')).some((e) => e.reason === 'Warning'), { timeoutMs: CONVERGE_MS });
    const ignored = (await eventsFor('legacy')).filter((e) => e.reason === 'Warning');
    expect(ignored).toHaveLength(1);
    expect(ignored[0]).toMatchObject({ type: 'Warning', note: 'annotation nginx.ingress.kubernetes.io/enable-opentelemetry is not supported by Portico and is ignored' });
    await admin.delete('ingress', 'legacy', NS);
  });

  it('keeps serving while the API server is down, and converges on changes made after it returns', async () => {
    await waitServed(a, 'good.e2e.test', '/', 'svc-a');
    await cluster.stopApiServer();
    for (let i = 0; i < 5; i++) {
      expect((await a.get('good.e2e.test', '/')).service).toBe('svc-a');
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(a.running()).toBe(true);
    await cluster.restartApiServer();
    // Changes made right after the restart, while the controller's informers are still reconnecting.
    await admin.applyObjects([ingress('good', 'good.e2e.test', 'svc-b'), ingress('after', 'after.e2e.test', 'svc-a')]);
    await admin.delete('ingress', 'bad', NS);
    expect((await a.get('good.e2e.test', '/')).status).toBe(200); // still serving meanwhile
    await waitServed(a, 'good.e2e.test', '/', 'svc-b');
    await waitServed(a, 'after.e2e.test', '/', 'svc-a');
    await waitFor('status of after', async () => (await status('after')).length === 2, { timeoutMs: CONVERGE_MS });
    // The informers did stop on the outage and were restarted (not merely lucky timing).
    expect(a.output()).toMatch(/Ingress informer stopped .*restarting in \d+ ms/);
  }, 120_000);

  it('with two replicas, only the leader writes status; killing it hands leadership over when the Lease expires', async () => {
    const b = await startControllerProcess({
      kubeconfig: saKubeconfig,
      identity: 'replica-b',
      // replica-b publishes the controller's Service (manifests/base: a ClusterIP Service).
      args: ['--publish-service', 'portico/portico'],
    });
    controllers.push(b);
    await waitServed(b, 'after.e2e.test', '/', 'svc-a'); // every replica serves
    const lease = async () =>
      (await admin.getJson<{ spec: { holderIdentity?: string } }>('lease', 'portico-leader', 'portico')).spec.holderIdentity;
    expect(await lease()).toBe('replica-a');

    // A new Ingress gets the leader's address, and keeps it: the follower never writes.
    await admin.applyObjects([ingress('pair', 'pair.e2e.test', 'svc-b')]);
    await waitServed(b, 'pair.e2e.test', '/', 'svc-b');
    await waitFor('status of pair', async () => (await status('pair')).length > 0, { timeoutMs: CONVERGE_MS });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await status('pair')).toEqual(expect.arrayContaining([{ ip: ADDRESS_A }]));
    const clusterIP = (await admin.getJson<{ spec: { clusterIP: string } }>('service', 'portico', 'portico')).spec.clusterIP;
    expect(clusterIP).toMatch(/^10\.96\./);
    expect(await status('pair')).not.toEqual(expect.arrayContaining([{ ip: clusterIP }]));

    // SIGKILL: no release; replica-b takes over once the Lease (15 s) expires, and writes its address.
    const killedAt = Date.now();
    await a.kill();
    await expect(a.get('pair.e2e.test', '/')).rejects.toThrow(); // its nginx is gone too
    await waitFor('replica-b leads', async () => (await lease()) === 'replica-b', { timeoutMs: 60_000, intervalMs: 500 });
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(10_000);
    await waitFor('status rewritten by replica-b', async () => {
      const s = await status('pair');
      return s.length === 1 && s[0]!.ip === clusterIP;
    }, { timeoutMs: CONVERGE_MS });
    expect(await status('after')).toEqual([{ ip: clusterIP }]);
    // The published Service gains externalIPs: they win over the clusterIP, and status follows.
    await admin.run(['patch', 'service', 'portico', '-n', 'portico', '--type=merge', '-p', JSON.stringify({ spec: { externalIPs: ['198.51.100.7'] } })]);
    await waitFor('status follows the Service', async () => {
      const s = await status('pair');
      return s.length === 1 && s[0]!.ip === '198.51.100.7';
    }, { timeoutMs: CONVERGE_MS });
    // And replica-b keeps routing changes.
    await admin.applyObjects([ingress('pair', 'pair.e2e.test', 'svc-a')]);
    await waitServed(b, 'pair.e2e.test', '/', 'svc-a');
  }, 150_000);
});
