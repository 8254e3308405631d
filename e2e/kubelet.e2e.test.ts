// The process kubelet and kube-controller-manager under real workloads (issue 16): a Deployment of echo
// backends becomes Ready Pods with their own IPs on the kubelet's bridge, the real EndpointSlice
// controller publishes them, and Portico (a real `portico run` with manifests/base's RBAC) sends each
// request to a Pod that answers with its own name. Scaling up and down and a rollout happen while a
// client keeps sending requests through Portico: not one may fail. Also: unmapped images never run, probes
// never go to an address outside the harness, volumes and the downward API reach the process, crashed
// containers restart with a log per run, and every namespace, veth and mount point is gone at the end.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { startCluster, type Cluster } from './harness/cluster.js';
import { ECHO_IMAGE } from './harness/images.js';
import { startKubelet, type Kubelet } from './harness/kubelet.js';
import { Kubectl } from './harness/kubectl.js';
import { waitFor } from './harness/process.js';
import { tokenKubeconfig } from './harness/serviceaccount.js';
import { startControllerProcess, type ControllerProcess } from './controller-process.js';

const MANIFESTS = resolve(process.cwd(), 'manifests');
const NS = 'e2e-kubelet';
const HOST = 'echo.e2e.test';

interface PodJson {
  metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{ name: string; restartCount: number; ready: boolean; state: Record<string, { reason?: string }> }>;
  };
}
interface SliceJson {
  metadata: { labels?: Record<string, string> };
  endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean }; targetRef?: { name: string }; nodeName?: string }>;
}

function echoDeployment(replicas: number, revision = '1') {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'echo', namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'echo' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'echo' }, annotations: { 'e2e.portico.dev/revision': revision } },
        spec: {
          terminationGracePeriodSeconds: 15,
          containers: [
            {
              name: 'echo',
              image: `${ECHO_IMAGE}:1`,
              // echo-server.mjs NAME PORT HOST: it answers with its own Pod's name ($(POD_NAME) from the downward API).
              args: ['$(POD_NAME)', '8080', '0.0.0.0'],
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
              // As users do: keep serving while Portico takes the Pod out of its upstreams.
              lifecycle: { preStop: { sleep: { seconds: 4 } } },
            },
          ],
        },
      },
    },
  };
}

describe('the process kubelet with kube-controller-manager, behind Portico', () => {
  let cluster: Cluster;
  let kubelet: Kubelet;
  let admin: Kubectl;
  let portico: ControllerProcess;
  /** The projected ServiceAccount token's mount point: the kubelet makes it on the host only while a Pod uses it. */
  const tokenMountPoint = '/var/run/secrets/kubernetes.io/serviceaccount';
  const tokenMountPointExisted = existsSync(tokenMountPoint);

  const pods = async (selector = 'app=echo'): Promise<PodJson[]> =>
    (await admin.getJson<{ items: PodJson[] }>('pods', undefined, NS).then((l) => l.items)).filter((p) => {
      const [k, v] = selector.split('=');
      return p.metadata.labels?.[k!] === v;
    });
  const readyPods = async (): Promise<PodJson[]> =>
    (await pods()).filter((p) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  /** The Pods a request through Portico reaches, by the name they answer with. */
  const answering = async (tries: number): Promise<Set<string>> => {
    const names = new Set<string>();
    for (let i = 0; i < tries; i++) {
      const r = await portico.get(HOST, `/who/${i}`);
      if (r.status === 200 && r.service) names.add(r.service);
    }
    return names;
  };
  /** Waits until exactly `count` Pods of the current revision are Ready, and Portico reaches exactly them. */
  const settle = async (count: number, revision?: string): Promise<string[]> => {
    let last = '';
    let names: string[] = [];
    await waitFor(
      `${count} echo Pods Ready and answering through Portico`,
      async () => {
        const all = await pods();
        const ready = (await readyPods()).filter((p) => !revision || (p as { metadata: { annotations?: Record<string, string> } }).metadata.annotations?.['e2e.portico.dev/revision'] === revision);
        names = ready.map((p) => p.metadata.name).sort();
        last = `pods ${all.map((p) => `${p.metadata.name}:${p.status.phase}${p.metadata.deletionTimestamp ? ':terminating' : ''}`).join(',')}`;
        if (all.length !== count || ready.length !== count) return false;
        const seen = [...(await answering(count * 6))].sort();
        last += ` answering ${seen.join(',')}`;
        return JSON.stringify(seen) === JSON.stringify(names);
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last: ${last})\nkubelet: ${kubelet.errors().join('\n')}`);
    });
    return names;
  };

  beforeAll(async () => {
    cluster = await startCluster({ controllers: true });
    kubelet = await startKubelet(cluster);
    admin = new Kubectl(cluster.adminKubeconfigPath);
    await admin.applyKustomize(`${MANIFESTS}/base`);
    portico = await startControllerProcess({ kubeconfig: await tokenKubeconfig(cluster, 'portico', 'portico'), identity: 'kubelet-e2e' });
    await admin.run(['create', 'namespace', NS]);
    await admin.applyObjects([
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo', namespace: NS }, spec: { selector: { app: 'echo' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'echo', namespace: NS },
        spec: {
          ingressClassName: 'portico',
          rules: [{ host: HOST, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'echo', port: { name: 'http' } } } }] } }],
        },
      },
    ]);
  }, 240_000);

  afterAll(async () => {
    await portico?.stop().catch(() => undefined);
    await kubelet?.stop();
    await cluster?.stop();
  }, 120_000);

  it('runs a Deployment: Pods Ready with their own IPs, EndpointSlices by the controller, each Pod answers with its own name', async () => {
    await admin.applyObjects([echoDeployment(2)]);
    const names = await settle(2);
    expect(names).toHaveLength(2);
    for (const n of names) expect(n).toMatch(/^echo-[a-z0-9]+-[a-z0-9]{5}$/);

    const ready = await readyPods();
    const ips = ready.map((p) => p.status.podIP!).sort();
    for (const p of ready) {
      expect(p.spec.nodeName).toBe(kubelet.nodeName);
      expect(p.status.podIP?.startsWith(kubelet.network.cidr.replace(/\.0\/24$/, '.'))).toBe(true);
    }
    const slices = await admin.getJson<{ items: SliceJson[] }>('endpointslices', undefined, NS);
    const mine = slices.items.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'echo');
    expect(mine.every((s) => s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === 'endpointslice-controller.k8s.io')).toBe(true);
    const sliceIps = mine.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses)).sort();
    expect(sliceIps).toEqual(ips);
    expect(mine.flatMap((s) => (s.endpoints ?? []).map((e) => e.nodeName))).toEqual([kubelet.nodeName, kubelet.nodeName]);
  });

  it('scales up and down and rolls out while a client sends requests through Portico, with no failed request', async () => {
    let stop = false;
    let sent = 0;
    const failures: string[] = [];
    const client = (async () => {
      while (!stop) {
        sent++;
        try {
          const r = await portico.get(HOST, `/load/${sent}`);
          if (r.status !== 200 || !r.service?.startsWith('echo-')) failures.push(`#${sent}: ${r.status} ${r.body.slice(0, 80)}`);
        } catch (err) {
          failures.push(`#${sent}: ${(err as Error).message}`);
        }
      }
    })();
    try {
      await admin.run(['scale', '-n', NS, 'deployment/echo', '--replicas=4']);
      await settle(4);
      await admin.run(['scale', '-n', NS, 'deployment/echo', '--replicas=1']);
      await settle(1);
      await admin.run(['scale', '-n', NS, 'deployment/echo', '--replicas=2']);
      const before = await settle(2);
      await admin.applyObjects([echoDeployment(2, '2')]);
      const after = await settle(2, '2');
      expect(after.filter((n) => before.includes(n))).toEqual([]);
    } finally {
      stop = true;
      await client;
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(50);
  });

  it('never runs an image that is not in the image map: the Pod stays Pending with a Warning Event', async () => {
    await admin.applyObjects([
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unmapped', namespace: NS, labels: { app: 'unmapped' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    ]);
    let message = '';
    await waitFor('the Failed Event of Pod unmapped', async () => {
      const events = await admin.getJson<{ items: Array<{ involvedObject: { name: string }; reason: string; type: string; message: string }> }>('events', undefined, NS);
      const e = events.items.find((x) => x.involvedObject.name === 'unmapped' && x.reason === 'Failed');
      message = e?.message ?? '';
      return e?.type === 'Warning';
    });
    expect(message).toMatch(/image nginx:1\.27 is not in the e2e kubelet's image map.*never run/);
    const [pod] = await pods('app=unmapped');
    expect(pod!.spec.nodeName).toBe(kubelet.nodeName);
    expect(pod!.status.phase).toBe('Pending');
    expect(pod!.status.podIP).toBeUndefined();
    expect(pod!.status.containerStatuses?.[0]?.state.waiting?.reason).toBe('ErrImageNeverPull');
    await admin.run(['delete', 'pod', 'unmapped', '-n', NS, '--wait=true', '--timeout=60s']);
  });

  it('never sends a probe to an address outside the harness: the container stays not Ready with a Warning Event', async () => {
    await admin.applyObjects([
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'probe-elsewhere', namespace: NS, labels: { app: 'probe-elsewhere' } },
        spec: {
          containers: [
            {
              name: 'echo',
              image: ECHO_IMAGE,
              args: ['probe-elsewhere', '8080', '0.0.0.0'],
              // TEST-NET-1 (RFC 5737): no namespace of the harness holds it.
              readinessProbe: { httpGet: { host: '192.0.2.1', path: '/', port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    ]);
    let message = '';
    await waitFor('the Unhealthy Event of Pod probe-elsewhere', async () => {
      const events = await admin.getJson<{ items: Array<{ involvedObject: { name: string }; reason: string; message: string }> }>('events', undefined, NS);
      message = events.items.find((x) => x.involvedObject.name === 'probe-elsewhere' && x.reason === 'Unhealthy')?.message ?? '';
      return message !== '';
    });
    expect(message).toMatch(/refusing to dial 192\.0\.2\.1: not loopback and not an address of a network namespace this harness created/);
    const [pod] = await pods('app=probe-elsewhere');
    expect(pod!.status.phase).toBe('Running');
    expect(pod!.status.containerStatuses?.[0]?.ready).toBe(false);
    await admin.run(['delete', 'pod', 'probe-elsewhere', '-n', NS, '--wait=true', '--timeout=60s']);
  });

  it('gives a container its volumes and downward-API env, restarts it when it exits, and keeps a log per run', async () => {
    await admin.applyObjects([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'greeting', namespace: NS }, data: { greeting: 'hello from a ConfigMap' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: NS }, stringData: { value: 's3cret' } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'crasher', namespace: NS, labels: { app: 'crasher', tier: 'test' } },
        spec: {
          containers: [
            {
              name: 'main',
              image: ECHO_IMAGE,
              command: ['/bin/sh', '-c', 'echo "run $(cat /etc/portico-e2e-config/greeting) $SECRET in $MY_NS as $MY_NAME $TIER"; exit 3'],
              env: [
                { name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'MY_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
                { name: 'SECRET', valueFrom: { secretKeyRef: { name: 'token', key: 'value' } } },
              ],
              volumeMounts: [{ name: 'config', mountPath: '/etc/portico-e2e-config' }],
            },
          ],
          volumes: [{ name: 'config', configMap: { name: 'greeting' } }],
        },
      },
    ]);
    await waitFor('crasher restarted twice', async () => ((await pods('app=crasher'))[0]?.status.containerStatuses?.[0]?.restartCount ?? 0) >= 2, { timeoutMs: 60_000 });
    for (const run of [0, 1]) {
      expect((await kubelet.containerLog(NS, 'crasher', 'main', run)).trim()).toBe('run hello from a ConfigMap s3cret in e2e-kubelet as crasher test');
    }
    // The mount point lives only in the Pod's mount namespace; the host got an empty directory for it.
    expect(existsSync('/etc/portico-e2e-config/greeting')).toBe(false);
    await admin.run(['delete', 'pod', 'crasher', '-n', NS, '--wait=true', '--timeout=60s']);
    expect(existsSync('/etc/portico-e2e-config')).toBe(false);
  });

  it('deletes a namespace with its Pods, then removes every namespace, veth and the bridge', async () => {
    await admin.run(['delete', 'namespace', NS, '--wait=true', '--timeout=120s'], { timeoutMs: 130_000 });
    expect(kubelet.runningPods().filter((p) => p.startsWith(`${NS}/`))).toEqual([]);
    const bridge = kubelet.network.bridge;
    await kubelet.stop();
    const netns = String((await execa('ip', ['netns', 'list'])).stdout);
    expect(netns).not.toContain(bridge.replace(/br$/, '-p'));
    const links = String((await execa('ip', ['-o', 'link', 'show'])).stdout);
    expect(links).not.toContain(bridge.replace(/br$/, ''));
    expect(existsSync(tokenMountPoint)).toBe(tokenMountPointExisted);
  }, 180_000);
});
