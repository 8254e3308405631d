// A throw-away control plane for the e2e suite: etcd and kube-apiserver on free loopback ports,
// with their own certificates, RBAC authorization and an admin client certificate. With
// { controllers: true } also kube-controller-manager (Deployments, ReplicaSets, EndpointSlices,
// namespaces, garbage collection, ServiceAccounts); Pods run only with a process kubelet
// (e2e/harness/kubelet.ts). No scheduler: the kubelet binds Pods itself.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiRequest, type AdminCredentials } from './api.js';
import { findBinaries, type Binaries } from './binaries.js';
import { generateClusterCerts, type ClusterCerts } from './certs.js';
import { writeKubeconfig } from './kubeconfig.js';
import { freePort } from './ports.js';
import { startProcess, waitFor, type ManagedProcess } from './process.js';

export const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/16';
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ClusterOptions {
  /** Extra kube-apiserver flags (--name=value). */
  apiServerArgs?: string[];
  /** Keep the temp dir (logs, etcd data) after stop(), for debugging. Default: $PORTICO_E2E_KEEP set. */
  keepTempDir?: boolean;
  startTimeoutMs?: number;
  /** Start kube-controller-manager with the controllers a workload needs (CONTROLLERS). Default false. */
  controllers?: boolean;
}

/**
 * The controllers a Deployment behind a Service needs, and namespace clean-up. Not node-lifecycle: on a
 * loaded 2-core CI machine a late Lease renewal would mark the node's Pods NotReady mid-test.
 */
export const CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'endpointslice-controller',
  'endpointslice-mirroring-controller',
  'namespace-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'pod-garbage-collector-controller',
];

export interface Cluster {
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly adminKubeconfigPath: string;
  readonly caFile: string;
  readonly admin: AdminCredentials;
  readonly binaries: Binaries;
  /** Temp dir holding certificates, kubeconfigs, logs (etcd.log, kube-apiserver.log, kube-controller-manager.log) and etcd data. */
  readonly dir: string;
  /** Stops kube-apiserver and starts it again on the same port with the same etcd and flags. */
  restartApiServer(opts?: { downtimeMs?: number }): Promise<void>;
  /** Stops the API server alone (it stays down until restartApiServer()). */
  stopApiServer(): Promise<void>;
  stop(): Promise<void>;
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return res.ok;
}

async function tail(path: string, lines = 30): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const binaries = findBinaries();
  const dir = await mkdtemp(join(tmpdir(), 'portico-e2e-'));
  const keep = opts.keepTempDir ?? Boolean(process.env.PORTICO_E2E_KEEP);
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const procs: ManagedProcess[] = [];
  let apiServer: ManagedProcess | undefined;

  const cleanup = async (): Promise<void> => {
    await Promise.all([apiServer, ...procs].filter((p): p is ManagedProcess => !!p).map((p) => p.stop()));
    if (!keep) await rm(dir, { recursive: true, force: true });
  };

  try {
    const certsDir = join(dir, 'pki');
    await mkdir(certsDir);
    const certs: ClusterCerts = await generateClusterCerts(certsDir);

    // etcd: client and peer ports on loopback, data in the temp dir.
    const ports = new Set<number>();
    while (ports.size < 3) ports.add(await freePort());
    const [etcdClient, etcdPeer, securePort] = [...ports];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = startProcess(
      'etcd',
      binaries.etcd,
      [
        '--name=portico-e2e',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=portico-e2e=${peerUrl}`,
        '--initial-cluster-state=new',
        '--log-level=warn',
      ],
      { logFile: join(dir, 'etcd.log') },
    );
    procs.push(etcd);
    await waitFor('etcd /health', () => httpOk(`${etcdUrl}/health`), {
      timeoutMs,
      abort: () => (etcd.running() ? undefined : `etcd exited; see ${etcd.logFile}`),
    });

    const server = `https://127.0.0.1:${securePort}`;
    const admin: AdminCredentials = { server, caFile: certs.caCert, certFile: certs.adminCert, keyFile: certs.adminKey };
    const apiArgs = [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${securePort}`,
      `--cert-dir=${certsDir}`,
      `--tls-cert-file=${certs.serverCert}`,
      `--tls-private-key-file=${certs.serverKey}`,
      `--client-ca-file=${certs.caCert}`,
      '--authorization-mode=Node,RBAC',
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${certs.serviceAccountPub}`,
      `--service-account-signing-key-file=${certs.serviceAccountKey}`,
      // No node runs here: the 'kubernetes' Service endpoints would name a loopback address,
      // which endpoint validation rejects, so the reconciler is off.
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      '--profiling=false',
      '--v=1',
      ...(opts.apiServerArgs ?? []),
    ];
    const startApiServer = async (): Promise<void> => {
      const p = startProcess('kube-apiserver', binaries.kubeApiserver, apiArgs, { logFile: join(dir, 'kube-apiserver.log') });
      apiServer = p;
      try {
        await waitFor(
          'kube-apiserver /readyz',
          async () => (await apiRequest(admin, 'GET', '/readyz', undefined, 2_000)).status === 200,
          { timeoutMs, intervalMs: 300, abort: () => (p.running() ? undefined : 'kube-apiserver exited') },
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- ${p.logFile} (tail) ---\n${await tail(p.logFile)}`);
      }
    };
    await startApiServer();

    const adminKubeconfigPath = await writeKubeconfig(join(dir, 'admin.kubeconfig'), {
      server,
      caFile: certs.caCert,
      userName: 'portico-e2e-admin',
      user: { clientCertificate: certs.adminCert, clientKey: certs.adminKey },
    });

    if (opts.controllers) {
      if (!binaries.kubeControllerManager) {
        throw new Error('kube-controller-manager not found: run `npm run e2e:setup` first (scripts/e2e-setup.sh)');
      }
      const kcm = startProcess(
        'kube-controller-manager',
        binaries.kubeControllerManager,
        [
          `--kubeconfig=${adminKubeconfigPath}`,
          `--controllers=${CONTROLLERS.join(',')}`,
          '--leader-elect=false',
          // No serving port: nothing here scrapes it, and it would need its own certificate.
          '--secure-port=0',
          `--service-account-private-key-file=${certs.serviceAccountKey}`,
          `--root-ca-file=${certs.caCert}`,
          '--use-service-account-credentials=false',
          `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
          '--allocate-node-cidrs=false',
          '--kube-api-qps=200',
          '--kube-api-burst=400',
          // A Deployment's rollout moves as soon as a new Pod is Ready.
          '--concurrent-deployment-syncs=10',
          '--concurrent-replicaset-syncs=10',
          '--concurrent-service-endpoint-syncs=10',
          '--profiling=false',
          '--v=1',
        ],
        { logFile: join(dir, 'kube-controller-manager.log') },
      );
      procs.push(kcm);
      // Ready when it has made the default ServiceAccount of 'default' (serviceaccount-controller runs).
      await waitFor(
        'kube-controller-manager (ServiceAccount default/default)',
        async () => (await apiRequest(admin, 'GET', '/api/v1/namespaces/default/serviceaccounts/default', undefined, 2_000)).status === 200,
        {
          timeoutMs,
          intervalMs: 300,
          abort: () => (kcm.running() ? undefined : `kube-controller-manager exited; see ${kcm.logFile}`),
        },
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}\n--- ${kcm.logFile} (tail) ---\n${await tail(kcm.logFile)}`);
      });
    }

    const stopApiServer = async (): Promise<void> => {
      await apiServer?.stop();
      apiServer = undefined;
    };

    return {
      server,
      adminKubeconfigPath,
      caFile: certs.caCert,
      admin,
      binaries,
      dir,
      stopApiServer,
      async restartApiServer(o = {}): Promise<void> {
        await stopApiServer();
        if (o.downtimeMs) await new Promise((r) => setTimeout(r, o.downtimeMs));
        await startApiServer();
      },
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
