// Redirects as a user of a cluster install sees them (issue 12, item 4). The controller runs as
// manifests/base's Deployment runs it: its container args (nginx on the pod's ports), uid 10001 with
// no capabilities and the pod's sysctl net.ipv4.ip_unprivileged_port_start=0, the ServiceAccount's token,
// in a network namespace of its own (the pod). Clients never talk to the pod's ports: they connect to
// the Service's ports (80, 443) and to the nodeport overlay's node ports (30080, 30443) on the host's end
// of the namespace's veth (standing for the cluster IP and a node), forwarded to the Service's targetPorts
// in the pod as kube-proxy would. Every redirect's Location must send them somewhere they can connect
// to, with the ports ingress-nginx would write. The backend is a Deployment run by the process kubelet, its
// EndpointSlice by kube-controller-manager; the controller's namespace sits on the kubelet's bridge.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chown, copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startCluster, type Cluster } from './harness/cluster.js';
import { Kubectl } from './harness/kubectl.js';
import { writeKubeconfig } from './harness/kubeconfig.js';
import { createTestNetwork, type TestNetwork } from './harness/netns.js';
import { startKubelet, type Kubelet } from './harness/kubelet.js';
import { waitFor, type ManagedProcess } from './harness/process.js';
import { serviceAccountToken } from './harness/serviceaccount.js';
import { echoWorkload, waitEndpointsReady } from './controller-process.js';
import { makeCertificate, tlsSecret } from '../test/support/certs.js';
import { request, type Reply } from '../test/support/http.js';
import { startPortMap, type PortMap } from '../test/support/port-map.js';

const MANIFESTS = resolve(process.cwd(), 'manifests');
const CLI = resolve(process.cwd(), 'dist', 'cli', 'main.js');
const FORWARD = resolve(process.cwd(), 'e2e', 'harness', 'port-forward.mjs');
const P = 'nginx.ingress.kubernetes.io';
const NS = 'e2e-redirects';
/** The image's user (Dockerfile, manifests/base/deployment.yaml runAsUser). */
const POD_UID = 10001;

interface ContainerSpec {
  args: string[];
  ports: Array<{ name: string; containerPort: number }>;
}
interface ServiceSpec {
  ports: Array<{ name: string; port: number; targetPort: string | number; nodePort?: number }>;
}
interface PodSpec {
  securityContext?: { runAsUser?: number; sysctls?: Array<{ name: string; value: string }> };
  containers: ContainerSpec[];
}

/** The objects `kubectl kustomize DIR` builds, by kind. */
async function kustomized(kubectl: Kubectl, dir: string): Promise<{ pod: PodSpec | undefined; service: ServiceSpec }> {
  const docs = parseAllDocuments(await kubectl.kustomize(dir)).map((d) => d.toJS() as { kind: string; spec: Record<string, unknown> });
  const workload = docs.find((d) => d.kind === 'Deployment' || d.kind === 'DaemonSet');
  const service = docs.find((d) => d.kind === 'Service');
  if (!service) throw new Error(`${dir}: no Service`);
  return { pod: (workload?.spec.template as { spec: PodSpec } | undefined)?.spec, service: service.spec as unknown as ServiceSpec };
}

function ingress(name: string, host: string, annotations: Record<string, string>, tls?: string) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NS, annotations },
    spec: {
      ingressClassName: 'portico',
      ...(tls ? { tls: [{ hosts: [host], secretName: tls }] } : {}),
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } }] } }],
    },
  };
}

describe('redirects through the Service and NodePort mappings of manifests/', () => {
  let cluster: Cluster;
  let kubelet: Kubelet;
  let admin: Kubectl;
  let net: TestNetwork;
  let apiMap: PortMap;
  const serviceMaps: PortMap[] = [];
  let podDir: string;
  let controller: ManagedProcess;
  /** The pod's address, and the host's address standing for the Service's cluster IP and for a node. */
  let podAddress: string;
  let serviceAddress: string;
  /** Service port → the pod port it reaches (targetPort resolved by name), and node port → pod port. */
  const servicePorts = new Map<number, number>();
  const nodePorts = new Map<number, number>();

  const http = (port: number, host: string, path: string): Promise<Reply> => request({ address: serviceAddress, port, host, path });
  const https = (port: number, host: string, path: string, hostHeader = host): Promise<Reply> =>
    request({ address: serviceAddress, port, host: hostHeader, path, tls: { servername: host } });

  beforeAll(async () => {
    cluster = await startCluster({ controllers: true });
    kubelet = await startKubelet(cluster);
    admin = new Kubectl(cluster.adminKubeconfigPath);
    await admin.applyKustomize(`${MANIFESTS}/base`);

    // What the manifests say: the pod's args and ports, the Service's port mapping, the node ports.
    const base = await kustomized(admin, `${MANIFESTS}/base`);
    const nodeport = await kustomized(admin, `${MANIFESTS}/overlays/nodeport`);
    const container = base.pod!.containers[0]!;
    const podPort = (target: string | number): number =>
      typeof target === 'number' ? target : container.ports.find((p) => p.name === target)!.containerPort;
    for (const p of base.service.ports) servicePorts.set(p.port, podPort(p.targetPort));
    for (const p of nodeport.service.ports) nodePorts.set(p.nodePort!, podPort(p.targetPort));
    expect([...servicePorts.keys()]).toEqual([80, 443]);
    expect([...nodePorts.keys()]).toEqual([30080, 30443]);
    expect(base.pod!.securityContext?.runAsUser).toBe(POD_UID);

    net = await createTestNetwork({ podNetwork: kubelet.network });
    podAddress = net.addresses[0]!;
    serviceAddress = net.hostAddress;
    // The pod's sysctls, in the pod's (the namespace's) own network stack.
    for (const s of base.pod!.securityContext?.sysctls ?? []) await net.execInNamespace('sysctl', ['-w', `${s.name}=${s.value}`]);


    // The API server listens on the host's loopback: 127.0.0.1:PORT inside the namespace leads to it.
    const apiPort = Number(new URL(cluster.server).port);
    apiMap = await startPortMap({ port: apiPort }, { host: net.hostAddress });
    const forwarder = net.runInNamespace('node', [FORWARD, `127.0.0.1:${apiPort}=${net.hostAddress}:${apiMap.port}`]);
    await waitFor('the API server forward', async () => (await readFile(forwarder.logFile, 'utf8')).includes('forwarding'), { timeoutMs: 20_000 });
    // The Service's and the node ports, outside the pod: nginx in the pod listens on every address.
    for (const [from, to] of [...servicePorts, ...nodePorts]) {
      serviceMaps.push(await startPortMap({ host: podAddress, port: to }, { host: serviceAddress, port: from }));
    }

    // The pod's files, owned by its user: the ServiceAccount token's kubeconfig and the state dir.
    podDir = await mkdtemp(join(tmpdir(), 'portico-e2e-pod-'));
    await mkdir(join(podDir, 'state'));
    await copyFile(cluster.caFile, join(podDir, 'ca.crt'));
    await writeKubeconfig(join(podDir, 'kubeconfig'), {
      server: cluster.server,
      caFile: join(podDir, 'ca.crt'),
      userName: 'system:serviceaccount:portico:portico',
      user: { token: await serviceAccountToken(cluster, 'portico', 'portico') },
      namespace: 'portico',
    });
    for (const f of ['', 'state', 'ca.crt', 'kubeconfig']) await chown(join(podDir, f), POD_UID, POD_UID);

    await admin.run(['create', 'namespace', NS]);
    const cert = await makeCertificate('secure.e2e.test');
    const shopCert = await makeCertificate('shop.e2e.test');
    await admin.applyObjects([
      ...echoWorkload(NS, 'web'),
      tlsSecret(NS, 'secure-tls', cert),
      tlsSecret(NS, 'shop-tls', shopCert),
      ingress('secure', 'secure.e2e.test', {}, 'secure-tls'),
      ingress('approot', 'approot.e2e.test', { [`${P}/app-root`]: '/app' }),
      ingress('shop', 'shop.e2e.test', { [`${P}/from-to-www-redirect`]: 'true' }, 'shop-tls'),
    ]);

    await waitEndpointsReady(admin, NS, 'web');

    // The Deployment's container args, with the pod's paths; no capability, no new privileges.
    const args = container.args.map((a) => (a.startsWith('--state-dir') ? `--state-dir=${join(podDir, 'state')}` : a));
    controller = net.runInNamespace(
      'setpriv',
      [`--reuid=${POD_UID}`, `--regid=${POD_UID}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs',
        'node', CLI, ...args, `--kubeconfig=${join(podDir, 'kubeconfig')}`, '--log-format=text', '--debounce-ms=50'],
      { env: { POD_NAME: 'portico-e2e', POD_NAMESPACE: 'portico', HOME: podDir, PATH: `${process.env.PATH}:/usr/sbin` } },
    );
    const log = async () => (await readFile(controller.logFile, 'utf8').catch(() => '')).slice(-3000);
    await waitFor(
      'the controller serving the https redirect on the Service port',
      async () => (await http(80, 'secure.e2e.test', '/')).status === 308 && (await http(80, 'approot.e2e.test', '/')).status === 302,
      { timeoutMs: 60_000, intervalMs: 500, abort: () => (controller.running() ? undefined : 'the controller exited') },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n--- controller log (tail) ---\n${await log()}`);
    });
  }, 240_000);

  afterAll(async () => {
    await controller?.stop().catch(() => undefined);
    await net?.cleanup();
    for (const m of serviceMaps) await m.stop();
    await apiMap?.stop();
    await kubelet?.stop();
    await cluster?.stop();
    if (podDir) await rm(podDir, { recursive: true, force: true });
  }, 120_000);

  it('runs nginx as the pod does: uid 10001 on the pod ports 80 and 443', async () => {
    expect([...servicePorts.values()]).toEqual([80, 443]);
    const pid = Number((await readFile(join(podDir, 'state', 'nginx.pid'), 'utf8')).trim());
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(POD_UID));
    expect(/^CapEff:\s+(\w+)/m.exec(status)?.[1]).toBe('0000000000000000');
  });

  it('http → https is https://HOST/... with no port, through the Service and through a node port', async () => {
    const viaService = await http(80, 'secure.e2e.test', '/login?next=/home');
    expect([viaService.status, viaService.headers.location]).toEqual([308, 'https://secure.e2e.test/login?next=/home']);
    // A NodePort client is sent to 443 as well, as ingress-nginx sends it.
    const viaNode = await http(30080, 'secure.e2e.test:30080', '/login?next=/home');
    expect([viaNode.status, viaNode.headers.location]).toEqual([308, 'https://secure.e2e.test/login?next=/home']);
    // Following it reaches the backend, which is told the ports the client used.
    const followed = await https(443, 'secure.e2e.test', '/login?next=/home');
    expect([followed.status, followed.echo?.path, followed.echo?.headers['x-forwarded-proto'], followed.echo?.headers['x-forwarded-port']]).toEqual([
      200,
      '/login?next=/home',
      'https',
      '443',
    ]);
  });

  it('app-root answers with the scheme, host and port the client connected to', async () => {
    expect((await http(80, 'approot.e2e.test', '/')).headers.location).toBe('http://approot.e2e.test/app');
    expect((await http(30080, 'approot.e2e.test:30080', '/')).headers.location).toBe('http://approot.e2e.test:30080/app');
    const plain = await http(80, 'approot.e2e.test', '/app');
    expect([plain.status, plain.echo?.headers['x-forwarded-port']]).toEqual([200, '80']);
  });

  it('from-to-www-redirect names the Service port, as ingress-nginx names its listen port', async () => {
    const r = await http(80, 'www.shop.e2e.test', '/cart/');
    expect([r.status, r.headers.location]).toEqual([308, 'http://shop.e2e.test:80/cart']);
    const t = await https(443, 'www.shop.e2e.test', '/cart');
    expect([t.status, t.headers.location]).toEqual([308, 'https://shop.e2e.test:443/cart']);
  });
});
