// `node dist/cli/main.js run` against the e2e cluster, as a real child process in its own process
// group (so that SIGKILL of the group also ends its nginx, as a killed Pod would).
import { execa, type ResultPromise } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ECHO_IMAGE } from './harness/images.js';
import type { Kubectl } from './harness/kubectl.js';
import { freePort } from './harness/ports.js';
import { waitFor } from './harness/process.js';

const CLI = resolve(process.cwd(), 'dist', 'cli', 'main.js');

export interface ControllerProcess {
  readonly identity: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly metricsPort: number;
  readonly stateDir: string;
  /** stdout + stderr so far. */
  output(): string;
  running(): boolean;
  /** GET through this replica's nginx with a Host header. */
  get(host: string, path: string): Promise<{ status: number; body: string; service?: string; path?: string }>;
  /** SIGTERM: graceful (releases the Lease). */
  stop(): Promise<number | undefined>;
  /** SIGKILL to the whole group: no release, nginx dies too. */
  kill(): Promise<void>;
}

export interface ControllerProcessOptions {
  kubeconfig: string;
  identity: string;
  namespace?: string;
  args?: string[];
}

export function httpGet(port: number, host: string, path: string): Promise<{ status: number; body: string; service?: string; path?: string }> {
  return new Promise((res, rej) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 5_000 }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let echo: { service?: string; path?: string } = {};
        if (r.headers['x-served-by']) {
          try {
            echo = JSON.parse(body) as { service?: string; path?: string };
          } catch {
            echo = {};
          }
        }
        res({ status: r.statusCode ?? 0, body, service: echo.service, path: echo.path });
      });
      r.on('error', rej);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end();
  });
}

export async function startControllerProcess(opts: ControllerProcessOptions): Promise<ControllerProcess> {
  const stateDir = await mkdtemp(join(tmpdir(), `portico-e2e-${opts.identity}-`));
  const [httpPort, httpsPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const args = [
    CLI,
    'run',
    '--kubeconfig', opts.kubeconfig,
    '--state-dir', stateDir,
    '--http-port', String(httpPort),
    '--https-port', String(httpsPort),
    '--metrics-port', String(metricsPort),
    '--status-port', '0',
    '--debug-port', '0',
    '--debounce-ms', '50',
    '--min-reload-interval-ms', '200',
    '--log-format', 'text',
    ...(opts.args ?? []),
  ];
  let out = '';
  const child: ResultPromise = execa('node', args, {
    detached: true,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    env: { POD_NAME: opts.identity, POD_NAMESPACE: opts.namespace ?? 'portico', PATH: `${process.env.PATH}:/usr/sbin` },
  });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  let alive = true;
  const exited = child.then(
    (r) => {
      alive = false;
      return r.exitCode;
    },
    () => {
      alive = false;
      return undefined;
    },
  );
  const pid = child.pid!;
  const group = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // gone
    }
  };
  const proc: ControllerProcess = {
    identity: opts.identity,
    httpPort,
    httpsPort,
    metricsPort,
    stateDir,
    output: () => out,
    running: () => alive,
    get: (host, path) => httpGet(httpPort, host, path),
    async stop() {
      if (alive) child.kill('SIGTERM');
      const t = setTimeout(() => group('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(t);
      group('SIGKILL'); // nginx leftovers, if any
      await rm(stateDir, { recursive: true, force: true });
      return code;
    },
    async kill() {
      // nginx runs in its own process group (the controller starts it detached): end it too, as the
      // death of a Pod would, so that only the other replica is left.
      const nginxPid = Number((await readFile(join(stateDir, 'nginx.pid'), 'utf8').catch(() => '')).trim());
      group('SIGKILL');
      await exited;
      if (nginxPid > 1) {
        try {
          process.kill(-nginxPid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  await waitFor(
    `controller ${opts.identity} /healthz`,
    async () => {
      const r = await httpGet(metricsPort, 'localhost', '/healthz');
      return r.status === 200;
    },
    { timeoutMs: 30_000, abort: () => (alive ? undefined : `exited:\n${out}`) },
  );
  return proc;
}

/**
 * A Deployment of the echo server behind a Service with a selector (port http: 80 → the Pods' 8080), for
 * kube-controller-manager and the process kubelet (startCluster({ controllers: true }), startKubelet):
 * every Pod answers with `name` as its "service", and the EndpointSlice controller publishes the Pods.
 */
export function echoWorkload(namespace: string, name: string, replicas = 1) {
  const labels = { app: name };
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'echo',
                image: `${ECHO_IMAGE}:1`,
                args: [name, '8080', '0.0.0.0'],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  ];
}

/** Waits until the EndpointSlice controller lists `ready` ready endpoints for the Service. */
export async function waitEndpointsReady(kubectl: Kubectl, namespace: string, service: string, ready = 1, timeoutMs = 90_000): Promise<string[]> {
  let addresses: string[] = [];
  await waitFor(
    `${ready} ready endpoints of ${namespace}/${service}`,
    async () => {
      const list = await kubectl.getJson<{ items: Array<{ endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }> }> }>(
        'endpointslices',
        undefined,
        namespace,
      ).then((l) => l.items.filter((s) => (s as { metadata?: { labels?: Record<string, string> } }).metadata?.labels?.['kubernetes.io/service-name'] === service));
      addresses = list.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses));
      return addresses.length === ready;
    },
    { timeoutMs, intervalMs: 300 },
  );
  return addresses;
}
