// A process kubelet for the e2e cluster (design: /work/shared/design/cluster-harness.md). It registers a
// Node and renews its Lease, binds pending Pods to itself (no scheduler runs), and runs each Pod as real
// processes: a network namespace with an IP on its own bridge (pod-network.ts), Secret/ConfigMap/
// downward-API/projected volumes written to a per-pod directory and bind-mounted in a private mount
// namespace, the container's environment with the downward API, the program its image maps to
// (images.ts; unmapped images never run), readiness and liveness probes, restarts with backoff, a log
// file per container run, status, and graceful deletion (preStop, SIGTERM, grace, SIGKILL, then the
// Pod's final delete). stop() removes every process, namespace, veth, mount point and the bridge.
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { Cluster } from './cluster.js';
import { assertDialable } from './dial-guard.js';
import { defaultImages, lookupImage, type ImageMap, type ImageRunner } from './images.js';
import { ApiError, KubeClient, type Watch } from './kube-client.js';
import { createPodNetwork, type PodInterface, type PodNetwork } from './pod-network.js';
import {
  commandLine,
  containerEnv,
  PodConfigError,
  resolvePort,
  volumeFiles,
  type Container,
  type Pod,
  type PodLookups,
  type Probe,
} from './pod-spec.js';
import { startProcess, type ManagedProcess } from './process.js';

export const K8S_VERSION = 'v1.33.13';

export interface KubeletOptions {
  nodeName?: string;
  images?: ImageMap;
  /** Where per-pod directories (volumes, logs) go. Default: <cluster dir>/kubelet. */
  rootDir?: string;
  /** Restart backoff of a crashed container: first delay, doubling up to max (the real kubelet: 10 s → 5 min). */
  restartBackoffMs?: { initial: number; max: number };
  /** Upper bound on a Pod's termination grace period here. Default 30 s. */
  maxGraceMs?: number;
}

export interface Kubelet {
  readonly nodeName: string;
  readonly network: PodNetwork;
  /** The log of a container's current (or given) run. */
  containerLog(namespace: string, pod: string, container: string, run?: number): Promise<string>;
  /** Every Pod this kubelet runs now, as namespace/name. */
  runningPods(): string[];
  /** What went wrong in the kubelet's own work (API writes, starts), for test failure messages. */
  errors(): string[];
  stop(): Promise<void>;
}

const PATH_IN_PODS = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** kube's MicroTime and Time formats. */
const microTime = (d = new Date()): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const time = (d = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Removes what acquire() created, deepest first; a directory another mount point still uses is not empty and stays. */
async function removeCreated(created: string[]): Promise<void> {
  for (const c of [...created].reverse()) {
    try {
      if (statSync(c).isDirectory()) await rmdir(c);
      else await unlink(c);
    } catch {
      // not empty (another user) or already gone
    }
  }
}

/** Host directories made as bind-mount targets, shared by Pods that mount the same path, removed after the last. */
class MountPoints {
  private readonly users = new Map<string, { count: number; created: string[] }>();
  private lock: Promise<unknown> = Promise.resolve();

  /** One change at a time: two Pods mounting the same path at once must not both create it. */
  private serialized<T>(f: () => Promise<T>): Promise<T> {
    const next = this.lock.then(f, f);
    this.lock = next.catch(() => undefined);
    return next;
  }

  acquire(target: string, kind: 'dir' | 'file'): Promise<void> {
    return this.serialized(() => this.acquireNow(target, kind));
  }

  release(target: string): Promise<void> {
    return this.serialized(() => this.releaseNow(target));
  }

  private async acquireNow(target: string, kind: 'dir' | 'file'): Promise<void> {
    const u = this.users.get(target);
    if (u) {
      u.count++;
      return;
    }
    const created: string[] = [];
    let p = kind === 'dir' ? target : dirname(target);
    const missing: string[] = [];
    while (!existsSync(p)) {
      missing.unshift(p);
      p = dirname(p);
    }
    try {
      for (const m of missing) {
        await mkdir(m);
        created.push(m);
      }
      if (kind === 'file' && !existsSync(target)) {
        await writeFile(target, '');
        created.push(target);
      }
    } catch (err) {
      await removeCreated(created);
      throw err;
    }
    this.users.set(target, { count: 1, created });
  }

  private async releaseNow(target: string): Promise<void> {
    const u = this.users.get(target);
    if (!u) return;
    if (--u.count > 0) return;
    this.users.delete(target);
    await removeCreated(u.created);
  }

  async releaseAll(): Promise<void> {
    for (const t of [...this.users.keys()]) {
      this.users.get(t)!.count = 1;
      await this.release(t);
    }
  }
}

interface ContainerState {
  spec: Container;
  runner: ImageRunner;
  argv: string[];
  env: Record<string, string>;
  proc?: ManagedProcess;
  restartCount: number;
  started: boolean;
  ready: boolean;
  startedAt?: string;
  waiting?: { reason: string; message?: string };
  terminated?: { exitCode: number; reason: string; startedAt?: string; finishedAt: string };
  lastTerminated?: { exitCode: number; reason: string; startedAt?: string; finishedAt: string };
  probeTimer?: NodeJS.Timeout;
}

interface Condition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime: string;
  reason?: string;
}

class PodWorker {
  pod: Pod;
  private iface?: PodInterface;
  private readonly containers: ContainerState[] = [];
  private readonly mounts: Array<{ source: string; target: string }> = [];
  private readonly conditions = new Map<string, Condition>();
  private startTime?: string;
  private blocked?: string;
  private terminating?: Promise<void>;
  private stopped = false;
  private statusDirty = false;
  private statusPush: Promise<void> = Promise.resolve();
  private readonly reported = new Set<string>();
  readonly dir: string;

  constructor(
    pod: Pod,
    private readonly k: KubeletImpl,
  ) {
    this.pod = pod;
    this.dir = join(k.rootDir, `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
  }

  get key(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  private setCondition(type: string, status: boolean, reason?: string): void {
    const s = status ? 'True' : 'False';
    const c = this.conditions.get(type);
    if (c && c.status === s) return;
    this.conditions.set(type, { type, status: s, lastTransitionTime: time(), ...(reason ? { reason } : {}) });
  }

  async event(type: 'Normal' | 'Warning', reason: string, message: string, once = false): Promise<void> {
    if (once) {
      if (this.reported.has(reason + message)) return;
      this.reported.add(reason + message);
    }
    await this.k.event(this.pod, type, reason, message);
  }

  /** Runs the Pod: network, volumes, env, processes, probes. Returns once the processes started (or it is blocked). */
  async start(): Promise<void> {
    const pod = this.pod;
    this.startTime = time();
    this.setCondition('PodScheduled', true);
    // Images first: an unmapped image never runs, and its Pod gets no network either.
    const runners = pod.spec.containers.map((c) => ({ c, runner: lookupImage(this.k.images, c.image) }));
    const unmapped = runners.filter((r) => !r.runner);
    if (pod.spec.initContainers?.length) {
      this.blocked = 'init containers are not run by the e2e kubelet';
      await this.event('Warning', 'Failed', this.blocked, true);
    } else if (unmapped.length) {
      this.blocked = unmapped.map((r) => `image ${r.c.image} is not in the e2e kubelet's image map (e2e/harness/images.ts); it is never run`).join('; ');
      await this.event('Warning', 'Failed', this.blocked, true);
    }
    if (this.blocked) {
      for (const { c } of runners) {
        this.containers.push({ spec: c, runner: { kind: 'stub', why: '' }, argv: [], env: {}, restartCount: 0, started: false, ready: false, waiting: { reason: 'ErrImageNeverPull', message: this.blocked } });
      }
      this.setCondition('Initialized', true);
      this.setCondition('ContainersReady', false, 'ContainersNotReady');
      this.setCondition('Ready', false, 'ContainersNotReady');
      this.pushStatus();
      return;
    }

    const iface = await this.k.network.attach(this.key);
    if (this.stopped || this.terminating) {
      // Deleted while its namespace was being made: terminate() found nothing to remove yet.
      await this.k.network.detach(iface);
      return;
    }
    this.iface = iface;
    this.pod = { ...this.pod, status: { ...this.pod.status, podIP: this.iface.address, hostIP: this.k.network.hostAddress } };
    this.setCondition('PodReadyToStartContainers', true);
    this.setCondition('Initialized', true);
    this.setCondition('ContainersReady', false, 'ContainersNotReady');
    this.setCondition('Ready', false, 'ContainersNotReady');
    for (const { c, runner } of runners) {
      this.containers.push({ spec: c, runner: runner!, argv: [], env: {}, restartCount: 0, started: false, ready: false, waiting: { reason: 'ContainerCreating' } });
    }
    this.pushStatus();

    // Volumes and env: a missing Secret or ConfigMap is waited for, as the real kubelet retries the mount.
    for (;;) {
      if (this.stopped || this.terminating) return;
      try {
        await this.prepareVolumes();
        for (const cs of this.containers) {
          const env = await containerEnv(this.pod, cs.spec, this.k.lookups);
          cs.env = { PATH: PATH_IN_PODS, HOSTNAME: pod.metadata.name, ...Object.fromEntries(env) };
          cs.argv = cs.runner.kind === 'program' ? commandLine(cs.spec, cs.runner, env) : [];
        }
        break;
      } catch (err) {
        if (!(err instanceof PodConfigError)) throw err;
        for (const cs of this.containers) cs.waiting = { reason: err.reason === 'FailedMount' ? 'ContainerCreating' : err.reason, message: err.message };
        this.pushStatus();
        await this.event('Warning', err.reason === 'FailedMount' ? 'FailedMount' : 'Failed', err.message, true);
        await sleep(1_000);
      }
    }
    for (const cs of this.containers) this.runContainer(cs);
    this.pushStatus();
  }

  private async prepareVolumes(): Promise<void> {
    const volumesDir = join(this.dir, 'volumes');
    await rm(volumesDir, { recursive: true, force: true });
    await mkdir(volumesDir, { recursive: true });
    const byName = new Map((this.pod.spec.volumes ?? []).map((v) => [v.name, v]));
    for (const v of byName.values()) {
      const files = await volumeFiles(this.pod, v, this.k.lookups);
      const vdir = join(volumesDir, v.name);
      await mkdir(vdir, { recursive: true });
      if (files === 'emptyDir') continue;
      for (const f of files) {
        const p = join(vdir, f.path);
        await mkdir(dirname(p), { recursive: true });
        await writeFile(p, f.content, { mode: f.mode });
      }
    }
    // Mount points on the host (a bind mount needs one), shared and removed after the last user.
    if (this.mounts.length === 0) {
      for (const c of this.pod.spec.containers) {
        for (const m of c.volumeMounts ?? []) {
          if (!byName.has(m.name)) throw new PodConfigError('FailedMount', `container ${c.name}: volume ${m.name} is not defined`);
          const source = m.subPath ? join(volumesDir, m.name, m.subPath) : join(volumesDir, m.name);
          const kind = existsSync(source) && statSync(source).isFile() ? 'file' : 'dir';
          await this.k.mountPoints.acquire(m.mountPath, kind);
          this.mounts.push({ source, target: m.mountPath });
        }
      }
    }
  }

  private runContainer(cs: ContainerState): void {
    if (this.stopped || this.terminating) return;
    cs.waiting = undefined;
    cs.terminated = undefined;
    cs.started = true;
    cs.startedAt = time();
    cs.ready = false;
    if (cs.runner.kind === 'stub') {
      // Ready with an IP, runs nothing (coredns from the conformance suite).
      cs.ready = true;
      this.updateReady();
      return;
    }
    const mounts = (cs.spec.volumeMounts ?? []).flatMap((m) => {
      const e = this.mounts.find((x) => x.target === m.mountPath)!;
      return [e.source, e.target];
    });
    // A private mount namespace inside the Pod's network namespace: bind mounts stay the Pod's own.
    const script = 'cd "$1" || exit 127; shift; while [ "$1" != -- ]; do mount --bind "$1" "$2" || exit 126; shift 2; done; shift; exec "$@"';
    const logFile = join(this.dir, 'logs', cs.spec.name, `${cs.restartCount}.log`);
    void mkdir(dirname(logFile), { recursive: true }).then(() => {
      if (this.stopped || this.terminating) return;
      const proc = startProcess(
        `${this.key}/${cs.spec.name}`,
        'ip',
        ['netns', 'exec', this.iface!.netns, 'unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', cs.spec.workingDir ?? '/', ...mounts, '--', ...cs.argv],
        { logFile, env: cs.env, extendEnv: false },
      );
      cs.proc = proc;
      void this.event('Normal', 'Started', `Started container ${cs.spec.name}`);
      this.startProbes(cs);
      void proc.exited.then((code) => this.onExit(cs, proc, code));
      this.pushStatus();
    });
  }

  private onExit(cs: ContainerState, proc: ManagedProcess, code: number | null): void {
    if (cs.proc !== proc) return;
    clearInterval(cs.probeTimer);
    cs.ready = false;
    const exitCode = code ?? 137;
    cs.terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: cs.startedAt, finishedAt: time() };
    this.updateReady();
    if (this.stopped || this.terminating) return;
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) {
      const { initial, max } = this.k.backoff;
      const delay = Math.min(max, initial * 2 ** Math.min(cs.restartCount, 10));
      cs.lastTerminated = cs.terminated;
      cs.terminated = undefined;
      cs.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${cs.spec.name} pod=${this.pod.metadata.name}` };
      void this.event('Warning', 'BackOff', `Back-off restarting failed container ${cs.spec.name} in pod ${this.pod.metadata.name}`);
      this.pushStatus();
      setTimeout(() => {
        cs.restartCount++;
        this.runContainer(cs);
      }, delay).unref();
      return;
    }
    this.pushStatus();
  }

  private startProbes(cs: ContainerState): void {
    const readiness = cs.spec.readinessProbe;
    const liveness = cs.spec.livenessProbe;
    if (!readiness) {
      cs.ready = true;
      this.updateReady();
    }
    if (!readiness && !liveness) return;
    const started = Date.now();
    const counts = { rOk: 0, rFail: 0, lFail: 0 };
    const tick = async (): Promise<void> => {
      const proc = cs.proc;
      if (!proc?.running() || this.stopped) return;
      const elapsed = (Date.now() - started) / 1000;
      if (readiness && elapsed >= (readiness.initialDelaySeconds ?? 0)) {
        const ok = await this.probe(cs, readiness);
        if (ok) {
          counts.rOk++;
          counts.rFail = 0;
          if (!cs.ready && counts.rOk >= (readiness.successThreshold ?? 1)) {
            cs.ready = true;
            this.updateReady();
          }
        } else {
          counts.rFail++;
          counts.rOk = 0;
          if (cs.ready && counts.rFail >= (readiness.failureThreshold ?? 3)) {
            cs.ready = false;
            this.updateReady();
          }
        }
      }
      if (liveness && elapsed >= (liveness.initialDelaySeconds ?? 0)) {
        if (await this.probe(cs, liveness)) counts.lFail = 0;
        else if (++counts.lFail >= (liveness.failureThreshold ?? 3)) {
          counts.lFail = 0;
          void this.event('Warning', 'Unhealthy', `Liveness probe failed; container ${cs.spec.name} will be restarted`);
          void proc.stop(this.graceMs());
        }
      }
    };
    // One timer per container at the shortest period; the first probe goes out at once.
    const periodMs = 1000 * Math.min(readiness?.periodSeconds ?? 10, liveness?.periodSeconds ?? 10);
    let busy = false;
    const run = (): void => {
      if (busy) return;
      busy = true;
      void tick().finally(() => (busy = false));
    };
    cs.probeTimer = setInterval(run, Math.max(200, Math.min(periodMs, 1000)));
    cs.probeTimer.unref();
    run();
  }

  /** One probe: http(s) GET or TCP connect to the Pod's own address (the dial guard checks it), or exec in the Pod's network namespace. */
  private async probe(cs: ContainerState, p: Probe): Promise<boolean> {
    const timeoutMs = 1000 * (p.timeoutSeconds ?? 1);
    try {
      if (p.httpGet) {
        const host = p.httpGet.host ?? this.iface!.address;
        assertDialable(host);
        const port = resolvePort(cs.spec, p.httpGet.port);
        const lib = (p.httpGet.scheme ?? 'HTTP').toUpperCase() === 'HTTPS' ? https : http;
        const headers = Object.fromEntries((p.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value]));
        return await new Promise<boolean>((resolve) => {
          const req = lib.request(
            { host, port, path: p.httpGet!.path ?? '/', method: 'GET', headers: { 'user-agent': `kube-probe/1.33`, ...headers }, agent: false, rejectUnauthorized: false, timeout: timeoutMs },
            (res) => {
              res.resume();
              resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
            },
          );
          req.on('timeout', () => req.destroy());
          req.on('error', () => resolve(false));
          req.end();
        });
      }
      if (p.tcpSocket) {
        const host = p.tcpSocket.host ?? this.iface!.address;
        assertDialable(host);
        const port = resolvePort(cs.spec, p.tcpSocket.port);
        return await new Promise<boolean>((resolve) => {
          const s = net.connect({ host, port, timeout: timeoutMs });
          s.once('connect', () => {
            s.destroy();
            resolve(true);
          });
          s.once('timeout', () => {
            s.destroy();
            resolve(false);
          });
          s.once('error', () => resolve(false));
        });
      }
      if (p.exec) {
        const r = await execa('ip', ['netns', 'exec', this.iface!.netns, ...p.exec.command], { reject: false, stdin: 'ignore', timeout: timeoutMs, env: cs.env, extendEnv: false });
        return r.exitCode === 0;
      }
    } catch (err) {
      // The dial guard's refusal is the Pod's problem to see, once (a probe host outside the harness).
      if (/^refusing to dial/.test((err as Error).message)) void this.event('Warning', 'Unhealthy', `Probe not sent: ${(err as Error).message}`, true);
      return false;
    }
    return false;
  }

  private updateReady(): void {
    const all = this.containers.length > 0 && this.containers.every((c) => c.ready);
    this.setCondition('ContainersReady', all, all ? undefined : 'ContainersNotReady');
    this.setCondition('Ready', all, all ? undefined : 'ContainersNotReady');
    this.pushStatus();
  }

  private phase(): string {
    if (this.blocked) return 'Pending';
    const cs = this.containers;
    if (cs.length && cs.every((c) => c.terminated)) return cs.every((c) => c.terminated!.exitCode === 0) ? 'Succeeded' : 'Failed';
    if (cs.some((c) => c.proc || (c.started && c.runner.kind === 'stub'))) return 'Running';
    return 'Pending';
  }

  private statusBody(): Record<string, unknown> {
    const ip = this.iface?.address;
    const hostIP = this.k.network.hostAddress;
    return {
      phase: this.phase(),
      conditions: [...this.conditions.values()],
      ...(ip ? { podIP: ip, podIPs: [{ ip }], hostIP, hostIPs: [{ ip: hostIP }] } : {}),
      ...(this.startTime ? { startTime: this.startTime } : {}),
      containerStatuses: this.containers.map((c) => {
        const state = c.waiting
          ? { waiting: c.waiting }
          : c.terminated
            ? { terminated: c.terminated }
            : { running: { startedAt: c.startedAt } };
        return {
          name: c.spec.name,
          image: c.spec.image,
          imageID: `portico-e2e://${c.spec.image}`,
          ...(c.proc ? { containerID: `portico-e2e://${c.proc.pid}` } : {}),
          ready: c.ready,
          started: Boolean(c.proc?.running() || (c.started && c.runner.kind === 'stub')),
          restartCount: c.restartCount,
          state,
          lastState: c.lastTerminated ? { terminated: c.lastTerminated } : {},
        };
      }),
    };
  }

  /** Coalesced status writes: at most one in flight, the latest state wins. */
  pushStatus(): void {
    if (this.statusDirty) return;
    this.statusDirty = true;
    this.statusPush = this.statusPush.then(async () => {
      this.statusDirty = false;
      if (this.stopped) return;
      const { namespace, name } = this.pod.metadata;
      try {
        await this.k.client.mergePatch(`/api/v1/namespaces/${namespace}/pods/${name}/status`, { status: this.statusBody() });
      } catch (err) {
        if (!(err instanceof ApiError && (err.status === 404 || err.status === 409))) this.k.logError(`status of ${this.key}`, err as Error);
      }
    });
  }

  private graceMs(): number {
    const s = this.pod.metadata.deletionGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds ?? 30;
    return Math.min(this.k.maxGraceMs, Math.max(0, s * 1000));
  }

  /** Graceful deletion: preStop, SIGTERM, the grace period (capped), SIGKILL, clean-up, then the final delete. */
  terminate(opts: { deleteFromApi: boolean; graceMs?: number }): Promise<void> {
    if (this.terminating) return this.terminating;
    this.terminating = (async () => {
      const graceMs = opts.graceMs ?? this.graceMs();
      const deadline = Date.now() + graceMs;
      await Promise.all(
        this.containers.map(async (cs) => {
          clearInterval(cs.probeTimer);
          const proc = cs.proc;
          if (!proc?.running()) return;
          const preStop = cs.spec.lifecycle?.preStop;
          if (preStop?.sleep) await sleep(Math.min(preStop.sleep.seconds * 1000, Math.max(0, deadline - Date.now())));
          else if (preStop?.exec) {
            await execa('ip', ['netns', 'exec', this.iface!.netns, ...preStop.exec.command], {
              reject: false,
              stdin: 'ignore',
              timeout: Math.max(1, deadline - Date.now()),
              env: cs.env,
              extendEnv: false,
            });
          }
          await proc.stop(Math.max(0, deadline - Date.now()));
        }),
      );
      this.stopped = true;
      await this.statusPush;
      await this.cleanup();
      if (opts.deleteFromApi) {
        const { namespace, name, uid } = this.pod.metadata;
        try {
          await this.k.client.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            gracePeriodSeconds: 0,
            preconditions: { uid },
          });
        } catch (err) {
          if (!(err instanceof ApiError && (err.status === 404 || err.status === 409))) this.k.logError(`delete of ${this.key}`, err as Error);
        }
      }
    })();
    return this.terminating;
  }

  private async cleanup(): Promise<void> {
    for (const cs of this.containers) {
      clearInterval(cs.probeTimer);
      await cs.proc?.stop(0);
    }
    if (this.iface) await this.k.network.detach(this.iface);
    for (const m of this.mounts) await this.k.mountPoints.release(m.target);
    this.mounts.length = 0;
    await rm(join(this.dir, 'volumes'), { recursive: true, force: true });
  }

  logPath(container: string, run?: number): string {
    const cs = this.containers.find((c) => c.spec.name === container);
    return join(this.dir, 'logs', container, `${run ?? cs?.restartCount ?? 0}.log`);
  }
}

class KubeletImpl implements Kubelet {
  readonly client: KubeClient;
  readonly mountPoints = new MountPoints();
  readonly workers = new Map<string, PodWorker>();
  readonly lookups: PodLookups;
  readonly backoff: { initial: number; max: number };
  readonly maxGraceMs: number;
  readonly images: ImageMap;
  readonly rootDir: string;
  private watch?: Watch;
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private readonly problems: string[] = [];

  errors(): string[] {
    return [...this.problems];
  }

  constructor(
    private readonly cluster: Cluster,
    readonly network: PodNetwork,
    readonly nodeName: string,
    opts: KubeletOptions,
  ) {
    this.client = new KubeClient(cluster.admin);
    this.images = opts.images ?? defaultImages();
    this.rootDir = opts.rootDir ?? join(cluster.dir, 'kubelet');
    this.backoff = opts.restartBackoffMs ?? { initial: 1_000, max: 10_000 };
    this.maxGraceMs = opts.maxGraceMs ?? 30_000;
    const c = this.client;
    this.lookups = {
      configMap: async (ns, name) => {
        const cm = await c.tryGet<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/${name}`);
        return cm ? (cm.data ?? {}) : undefined;
      },
      secret: async (ns, name) => {
        const s = await c.tryGet<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/secrets/${name}`);
        if (!s) return undefined;
        return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
      },
      serviceAccountToken: async (pod, expirationSeconds, audience) => {
        const sa = pod.spec.serviceAccountName ?? 'default';
        const r = await c.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: {
            ...(audience ? { audiences: [audience] } : {}),
            expirationSeconds,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
          },
        });
        return r.status.token;
      },
    };
  }

  logError(what: string, err: Error): void {
    if (this.stopping) return;
    this.problems.push(`${what}: ${err.message}`);
  }

  async event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = time();
    try {
      await this.client.request('POST', `/api/v1/namespaces/${pod.metadata.namespace}/events`, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${pod.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: pod.metadata.namespace },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
        reason,
        message,
        type,
        source: { component: 'kubelet', host: this.nodeName },
        reportingComponent: 'kubelet',
        reportingInstance: this.nodeName,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
    } catch (err) {
      this.logError(`event ${reason} for ${pod.metadata.namespace}/${pod.metadata.name}`, err as Error);
    }
  }

  private nodeStatus(): Record<string, unknown> {
    const now = time();
    const resources = { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' };
    return {
      capacity: resources,
      allocatable: resources,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'the e2e process kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: this.readySince },
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: now, lastTransitionTime: this.readySince },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', lastHeartbeatTime: now, lastTransitionTime: this.readySince },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', lastHeartbeatTime: now, lastTransitionTime: this.readySince },
      ],
      addresses: [
        { type: 'InternalIP', address: this.network.hostAddress },
        { type: 'Hostname', address: this.nodeName },
      ],
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '',
        osImage: 'portico e2e process kubelet',
        containerRuntimeVersion: 'portico-e2e://1',
        kubeletVersion: K8S_VERSION,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    };
  }

  private readonly readySince = time();

  async register(): Promise<void> {
    const c = this.client;
    await c.request('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: this.nodeName, labels: { 'kubernetes.io/hostname': this.nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } },
      spec: { podCIDR: this.network.cidr, podCIDRs: [this.network.cidr] },
    });
    await c.mergePatch(`/api/v1/nodes/${this.nodeName}/status`, { status: this.nodeStatus() });
    await c.request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.nodeName, namespace: 'kube-node-lease' },
      spec: { holderIdentity: this.nodeName, leaseDurationSeconds: 40, renewTime: microTime() },
    });
    // Lease every 10 s (as the real kubelet), node status every 10 s too (its heartbeat without node-lease would be 10 s).
    const renew = setInterval(() => {
      void c
        .mergePatch(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.nodeName}`, { spec: { renewTime: microTime() } })
        .catch((err: Error) => this.logError('lease renewal', err));
      void c.mergePatch(`/api/v1/nodes/${this.nodeName}/status`, { status: this.nodeStatus() }).catch((err: Error) => this.logError('node status', err));
    }, 10_000);
    renew.unref();
    this.timers.push(renew);
  }

  startWatching(): void {
    this.watch = this.client.listWatch<Pod>(
      '/api/v1/pods',
      async (e) => {
        if (this.stopping) return;
        const pod = e.object as Pod;
        const uid = pod.metadata.uid;
        const w = this.workers.get(uid);
        if (e.type === 'DELETED') {
          if (w) void w.terminate({ deleteFromApi: false, graceMs: 2_000 }).finally(() => this.workers.delete(uid));
          return;
        }
        if (!pod.spec.nodeName) {
          if (!pod.metadata.deletionTimestamp && (pod.spec.schedulerName ?? 'default-scheduler') === 'default-scheduler') await this.bind(pod);
          return;
        }
        if (pod.spec.nodeName !== this.nodeName) return;
        if (w) {
          w.pod = { ...pod, status: { ...pod.status, ...{ podIP: w.pod.status?.podIP, hostIP: w.pod.status?.hostIP } } };
          if (pod.metadata.deletionTimestamp) void w.terminate({ deleteFromApi: true }).finally(() => this.workers.delete(uid));
          return;
        }
        if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
        const worker = new PodWorker(pod, this);
        this.workers.set(uid, worker);
        if (pod.metadata.deletionTimestamp) {
          void worker.terminate({ deleteFromApi: true }).finally(() => this.workers.delete(uid));
          return;
        }
        void worker.start().catch((err: Error) => {
          this.logError(`start of ${worker.key}`, err);
          void worker.event('Warning', 'Failed', `e2e kubelet could not start the pod: ${err.message}`);
        });
      },
      (err) => this.logError('pod watch', err),
    );
    // A relist after a dropped watch does not replay deletions: look for Pods that are gone.
    const sweep = setInterval(() => {
      for (const [uid, w] of this.workers) {
        void this.client
          .tryGet<Pod>(`/api/v1/namespaces/${w.pod.metadata.namespace}/pods/${w.pod.metadata.name}`)
          .then((p) => {
            if (!this.stopping && (!p || p.metadata.uid !== uid)) void w.terminate({ deleteFromApi: false, graceMs: 2_000 }).finally(() => this.workers.delete(uid));
          })
          .catch(() => undefined);
      }
    }, 5_000);
    sweep.unref();
    this.timers.push(sweep);
  }

  private async bind(pod: Pod): Promise<void> {
    try {
      await this.client.request('POST', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: this.nodeName },
      });
    } catch (err) {
      if (!(err instanceof ApiError && (err.status === 409 || err.status === 404))) this.logError(`binding of ${pod.metadata.namespace}/${pod.metadata.name}`, err as Error);
    }
  }

  runningPods(): string[] {
    return [...this.workers.values()].map((w) => w.key);
  }

  async containerLog(namespace: string, pod: string, container: string, run?: number): Promise<string> {
    const w = [...this.workers.values()].find((x) => x.pod.metadata.namespace === namespace && x.pod.metadata.name === pod);
    if (!w) throw new Error(`no pod ${namespace}/${pod} on ${this.nodeName}`);
    return readFile(w.logPath(container, run), 'utf8').catch(() => '');
  }

  private stopped?: Promise<void>;

  stop(): Promise<void> {
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    this.watch?.stop();
    for (const t of this.timers) clearInterval(t);
    await Promise.all([...this.workers.values()].map((w) => w.terminate({ deleteFromApi: false, graceMs: 2_000 }).catch(() => undefined)));
    this.workers.clear();
    await this.mountPoints.releaseAll();
    await this.network.close();
    this.client.close();
  }
}

/** Starts a process kubelet for the cluster (which should run with { controllers: true }). */
export async function startKubelet(cluster: Cluster, opts: KubeletOptions = {}): Promise<Kubelet> {
  const network = await createPodNetwork();
  const k = new KubeletImpl(cluster, network, opts.nodeName ?? 'portico-e2e-node', opts);
  try {
    await mkdir(k.rootDir, { recursive: true });
    await k.register();
    k.startWatching();
  } catch (err) {
    await k.stop();
    throw err;
  }
  return k;
}
