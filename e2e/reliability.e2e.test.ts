// The API server down for a minute (RELIABILITY_API_DOWN_SECONDS, default 60) under load: nginx keeps
// serving every route throughout (not one failed or non-2xx request), the controller stays up and
// healthy, and changes made after the API server returns (create, change, delete) converge. The backends
// are Deployments run by the process kubelet (their Pods keep serving without an API server), their
// EndpointSlices written by kube-controller-manager.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { startCluster, type Cluster } from './harness/cluster.js';
import { Kubectl } from './harness/kubectl.js';
import { startKubelet, type Kubelet } from './harness/kubelet.js';
import { waitFor } from './harness/process.js';
import { tokenKubeconfig } from './harness/serviceaccount.js';
import { echoWorkload, waitEndpointsReady, httpGet, startControllerProcess, type ControllerProcess } from './controller-process.js';
import { loadFigures, reliabilityLine, startLoad, type LoadTarget } from '../test/support/load.js';

const MANIFESTS = resolve(process.cwd(), 'manifests');
const NS = 'e2e-reliability';
const DOWN_SECONDS = Number(process.env.RELIABILITY_API_DOWN_SECONDS ?? 60);
const STABLE = 10;
/**
 * How long a change may take to reach nginx. After a long outage the informers are in their restart
 * backoff (at most 30 s, ±25% jitter; src/sources/kubernetes.ts), so a change right after the API
 * server returns can wait that long before it is even seen.
 */
const CONVERGE_MS = 60_000;
const BACKOFF_MAX_MS = 30_000 * 1.25;

function ingress(name: string, host: string, service: string, path = '/') {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NS },
    spec: {
      ingressClassName: 'portico',
      rules: [{ host, http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: service, port: { name: 'http' } } } }] } }],
    },
  };
}

describe('API server outage under load', () => {
  let cluster: Cluster;
  let admin: Kubectl;
  let kubelet: Kubelet;
  let ctl: ControllerProcess | undefined;

  const waitServed = async (host: string, path: string, service: string | null, want = 200): Promise<void> => {
    let last = '';
    await waitFor(
      `${host}${path} → ${service ?? want}`,
      async () => {
        const r = await ctl!.get(host, path);
        last = `${r.status} ${r.service ?? r.body.slice(0, 60)}`;
        return r.status === want && (service === null || r.service === service);
      },
      { timeoutMs: CONVERGE_MS, intervalMs: 100, abort: () => (ctl!.running() ? undefined : `controller exited:\n${ctl!.output().slice(-3000)}`) },
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last: ${last})\n--- controller output (tail) ---\n${ctl!.output().slice(-3000)}`);
    });
  };

  beforeAll(async () => {
    cluster = await startCluster({ controllers: true });
    kubelet = await startKubelet(cluster);
    admin = new Kubectl(cluster.adminKubeconfigPath);
    await admin.applyKustomize(`${MANIFESTS}/base`);
    const kubeconfig = await tokenKubeconfig(cluster, 'portico', 'portico');
    await admin.run(['create', 'namespace', NS]);
    await admin.applyObjects([...echoWorkload(NS, 'svc-a'), ...echoWorkload(NS, 'svc-b')]);
    await waitEndpointsReady(admin, NS, 'svc-a');
    await waitEndpointsReady(admin, NS, 'svc-b');
    ctl = await startControllerProcess({ kubeconfig, identity: 'reliability', args: ['--watch-namespace', NS] });
  }, 240_000);

  afterAll(async () => {
    await ctl?.stop().catch(() => undefined);
    await kubelet?.stop();
    await cluster?.stop();
  }, 120_000);

  it(`serves every route throughout ${DOWN_SECONDS} s without an API server, and converges on changes made after`, async () => {
    const svc = (i: number) => (i % 2 ? 'svc-b' : 'svc-a');
    await admin.applyObjects([
      ...Array.from({ length: STABLE }, (_, i) => ingress(`stable-${i}`, `stable-${i}.e2e.test`, svc(i))),
      ingress('moving', 'moving.e2e.test', 'svc-a'),
      ingress('doomed', 'doomed.e2e.test', 'svc-a'),
    ]);
    for (let i = 0; i < STABLE; i++) await waitServed(`stable-${i}.e2e.test`, '/', svc(i));
    await waitServed('moving.e2e.test', '/', 'svc-a');
    await waitServed('doomed.e2e.test', '/', 'svc-a');

    const targets: LoadTarget[] = Array.from({ length: STABLE }, (_, i) => ({ host: `stable-${i}.e2e.test`, path: `/r${i}`, service: svc(i) }));
    const load = startLoad({ port: ctl!.httpPort, targets, concurrency: 6 });
    await new Promise((r) => setTimeout(r, 2_000));

    await cluster.stopApiServer();
    const downAt = Date.now();
    let healthChecks = 0;
    let unhealthy = 0;
    while (Date.now() - downAt < DOWN_SECONDS * 1000) {
      expect(ctl!.running()).toBe(true);
      healthChecks++;
      if ((await httpGet(ctl!.metricsPort, 'localhost', '/healthz')).status !== 200) unhealthy++;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    const duringOutage = load.snapshot();
    await cluster.restartApiServer();
    const backAt = Date.now();

    // Changes after the return: a change, a creation, a deletion.
    await admin.applyObjects([ingress('moving', 'moving.e2e.test', 'svc-b'), ingress('after', 'after.e2e.test', 'svc-b')]);
    await admin.delete('ingress', 'doomed', NS);
    await waitServed('moving.e2e.test', '/', 'svc-b');
    await waitServed('after.e2e.test', '/', 'svc-b');
    await waitServed('doomed.e2e.test', '/', null, 404);
    const convergedMs = Date.now() - backAt;
    await new Promise((r) => setTimeout(r, 2_000));
    const result = await load.stop();
    const informerRestarts = (ctl!.output().match(/informer stopped/g) ?? []).length;

    reliabilityLine('API server down', {
      apiDownSeconds: DOWN_SECONDS,
      routes: STABLE,
      clients: 6,
      ...loadFigures(result),
      requestsDuringOutage: duringOutage.sent,
      failedDuringOutage: duringOutage.errors + duringOutage.non2xx + duringOutage.wrongBackend,
      healthChecks,
      unhealthy,
      informerRestartLogLines: informerRestarts,
      convergedAfterReturnMs: convergedMs,
    });
    if (result.failures.length) process.stdout.write(`first failures: ${JSON.stringify(result.failures)}\n`);
    expect(result.errors).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result.wrongBackend).toBe(0);
    expect(duringOutage.sent).toBeGreaterThan(DOWN_SECONDS * 100);
    expect(unhealthy).toBe(0);
    expect(convergedMs).toBeLessThan(BACKOFF_MAX_MS + 7_500);
    expect(ctl!.running()).toBe(true);
  }, (DOWN_SECONDS + 180) * 1000);
});
