import { execa, type ResultPromise } from 'execa';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Log } from '../log.js';

interface NginxProcessOptions {
  nginxBinary: string;
  stateDir: string;
  logger: Log;
  /** Giving up: this many unexpected exits within `failureWindowMs` (default 5 in 60 s). */
  maxFailures?: number;
  failureWindowMs?: number;
  /** First restart delay, doubled per recent failure up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a graceful quit may take before the master is killed. */
  quitTimeoutMs?: number;
  /** How long a start may take to load the config (pid file written) before it is treated as started anyway. */
  loadTimeoutMs?: number;
  /** How long a reload may take to start workers on the new config before it counts as failed. */
  reloadTimeoutMs?: number;
  /** Called after nginx died and was started again. */
  onRestart?: () => void;
  /** Called once when nginx cannot be kept up; the controller should exit non-zero. */
  onFatal?: (reason: string) => void;
}

/**
 * nginx as a supervised child: `nginx -p STATE -c STATE/nginx.conf -g 'daemon off;'` in its own process
 * group (so that if the master dies, its orphaned workers can be found and stopped before a new master
 * binds the same ports). Restarted with backoff when it dies; `stop()` quits it gracefully (SIGQUIT:
 * workers finish in-flight requests).
 *
 * A controller killed with SIGKILL leaves its nginx running (own process group, no parent-death
 * signal), serving the last config. The next controller on the same state dir adopts that master (the
 * pid in STATE/nginx.pid, checked to be an nginx master on STATE/nginx.conf) and signals it to reload,
 * instead of starting a second nginx that could not bind the ports: no gap, never an empty config.
 */
export class NginxProcess {
  private child: ResultPromise | undefined;
  private stopping = false;
  private fatal = false;
  private failures: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private exited: Promise<void> | undefined;
  /** The master an earlier controller started (not our child): watched by polling. */
  private adopted: number | undefined;
  /** Why the last reload did not take; cleared by one that does, or by a new master. */
  private reloadFailure: string | undefined;
  private readonly opts: Required<Omit<NginxProcessOptions, 'onRestart' | 'onFatal'>> & Pick<NginxProcessOptions, 'onRestart' | 'onFatal'>;

  constructor(opts: NginxProcessOptions) {
    this.opts = {
      maxFailures: 5,
      failureWindowMs: 60000,
      initialBackoffMs: 200,
      maxBackoffMs: 5000,
      quitTimeoutMs: 60000,
      loadTimeoutMs: 300000,
      // nginx -t and a reload of 10,000 Ingresses take 19 s on the 2-core bench machine: three times that.
      reloadTimeoutMs: 60000,
      ...opts,
    };
  }

  get confPath(): string {
    return join(this.opts.stateDir, 'nginx.conf');
  }

  /** The master's pid while it runs. */
  get pid(): number | undefined {
    return this.child?.pid ?? this.adopted;
  }

  get running(): boolean {
    if (this.adopted !== undefined) return processAlive(this.adopted);
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get started(): boolean {
    return this.child !== undefined || this.restartTimer !== undefined;
  }

  /** Starts the master on STATE/nginx.conf (already written and checked). */
  async start(): Promise<void> {
    if (this.fatal) throw new Error('nginx could not be kept up; not starting it again');
    if (this.child || this.adopted !== undefined || this.stopping) return;
    const orphan = await this.findRunningMaster();
    if (orphan !== undefined) {
      this.adopt(orphan);
      process.kill(orphan, 'SIGHUP');
      return;
    }
    this.spawn();
    await this.waitRunning();
  }

  /**
   * Why nginx is not acting on the controller's signals, if it is not: its master is stopped (SIGSTOP,
   * a debugger), or the last reload did not take. /healthz fails meanwhile.
   */
  get unresponsive(): string | undefined {
    const pid = this.pid;
    if (pid !== undefined && this.running && isStopped(pid)) return `the nginx master (pid ${pid}) is stopped`;
    return this.reloadFailure;
  }

  /**
   * Loads STATE/nginx.conf: HUP to the master (nginx reads it again and swaps workers), or starts it.
   * Resolves once the master runs workers it started after the HUP: a HUP is only a request, and a master
   * that is stopped, or that refused the new file, keeps serving the old config with its old workers.
   */
  async reload(): Promise<void> {
    if (!this.child && this.adopted === undefined) return this.start();
    const pid = this.pid;
    if (!this.running || !pid) throw new Error('nginx is not running (restart pending)');
    try {
      if (isStopped(pid)) throw new Error(`the nginx master (pid ${pid}) is stopped and cannot load the config`);
      const before = childPids(pid);
      process.kill(pid, 'SIGHUP');
      await this.waitForNewWorkers(pid, before);
      this.reloadFailure = undefined;
    } catch (err) {
      this.reloadFailure = `the last reload did not take: ${(err as Error).message}`;
      throw err;
    }
  }

  private async waitForNewWorkers(pid: number, before: Set<number>): Promise<void> {
    const deadline = Date.now() + this.opts.reloadTimeoutMs;
    for (;;) {
      if (this.pid !== pid || !processAlive(pid)) throw new Error(`the nginx master (pid ${pid}) exited during the reload`);
      if (isStopped(pid)) throw new Error(`the nginx master (pid ${pid}) was stopped during the reload`);
      for (const child of childPids(pid)) if (!before.has(child)) return;
      if (Date.now() >= deadline) {
        throw new Error(`nginx started no workers on the new config within ${this.opts.reloadTimeoutMs / 1000}s (its error log says why)`);
      }
      // A read of one small /proc file: polled often, so the reload is counted as soon as it took.
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Graceful quit: SIGQUIT, wait for in-flight requests, SIGKILL the group after quitTimeoutMs. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const pid = this.pid;
    if (pid === undefined || !this.running) return;
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), this.opts.quitTimeoutMs);
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
    await this.exited;
    clearTimeout(timer);
    // Workers of a quitting master exit on their own once their requests are done; make sure.
    killGroup(pid, 'SIGKILL');
  }

  /** The pid STATE/nginx.pid holds (NaN when there is none). */
  private async pidInFile(): Promise<number> {
    return Number((await readFile(join(this.opts.stateDir, 'nginx.pid'), 'utf8').catch(() => '')).trim());
  }

  /** An nginx master still running on this state dir from an earlier controller, if any. */
  private async findRunningMaster(): Promise<number | undefined> {
    const pid = await this.pidInFile();
    if (!Number.isInteger(pid) || pid <= 1 || !processAlive(pid)) return undefined;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      return undefined;
    }
    // The pid may have been reused: only an nginx master on our config is ours.
    return cmdline.includes('nginx: master process') && cmdline.includes(this.confPath) ? pid : undefined;
  }

  private adopt(pid: number): void {
    this.adopted = pid;
    this.opts.logger.info('nginx from an earlier controller adopted; reloading it', { pid });
    this.exited = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (processAlive(pid)) return;
        clearInterval(poll);
        if (this.adopted === pid && !this.stopping) this.onUnexpectedExit(pid, undefined, undefined);
        resolve();
      }, 200);
    });
  }

  private spawn(): void {
    this.adopted = undefined;
    this.reloadFailure = undefined;
    const { nginxBinary, stateDir, logger } = this.opts;
    const args = ['-p', stateDir, '-c', this.confPath, '-e', join(stateDir, 'logs/error.log'), '-g', 'daemon off;'];
    const child = execa(nginxBinary, args, { reject: false, detached: true, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', buffer: false, cleanup: true });
    this.child = child;
    const forward = (stream: NodeJS.ReadableStream | null, level: 'info' | 'warn') =>
      stream?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) if (line.trim()) logger[level]('nginx output', { line: line.trim() });
      });
    forward(child.stdout, 'info');
    forward(child.stderr, 'warn');
    logger.info('nginx started', { pid: child.pid });
    // 'exit', not the execa promise: orphaned workers of a killed master keep its stdout/stderr open.
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        const pid = child.pid!;
        if (this.child === child && !this.stopping) this.onUnexpectedExit(pid, code ?? undefined, signal ?? undefined);
        resolve();
      });
    });
    void child.catch(() => undefined);
  }

  private async waitRunning(): Promise<void> {
    // A config that passed nginx -t can still fail at start (a port in use): give nginx a moment to fail.
    const child = this.child;
    await new Promise((r) => setTimeout(r, 150));
    if (child && child === this.child && !this.running) throw new Error('nginx exited right after start; see the error log');
    // The master writes its pid file once the config is loaded and the ports are open: at 10,000 Ingresses
    // that takes seconds, and until then nginx serves nothing (so /readyz must not say it does).
    const deadline = Date.now() + this.opts.loadTimeoutMs;
    while (child && child === this.child && this.running && Date.now() < deadline) {
      if ((await this.pidInFile()) === child.pid) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (child && child === this.child && !this.running) throw new Error('nginx exited while loading its config; see the error log');
  }

  private onUnexpectedExit(pid: number, code: number | undefined, signal: string | undefined): void {
    // Orphaned workers still hold the listening sockets: stop them so the new master can bind.
    killGroup(pid, 'SIGKILL');
    const now = Date.now();
    this.failures = [...this.failures.filter((t) => now - t < this.opts.failureWindowMs), now];
    this.opts.logger.error('nginx exited unexpectedly', { pid, exitCode: code, signal, recentFailures: this.failures.length });
    if (this.failures.length >= this.opts.maxFailures) {
      if (!this.fatal) {
        this.fatal = true;
        this.child = undefined;
        this.opts.onFatal?.(`nginx exited ${this.failures.length} times within ${this.opts.failureWindowMs / 1000}s`);
      }
      return;
    }
    const delay = Math.min(this.opts.initialBackoffMs * 2 ** (this.failures.length - 1), this.opts.maxBackoffMs);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.spawn();
      this.opts.onRestart?.();
    }, delay);
  }
}

/** Alive and not a zombie (an orphan's exit is reaped by init, not by us). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Stopped by a signal (SIGSTOP, SIGTSTP) or traced: state T or t in /proc/PID/stat. */
function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'T' || state === 't';
  } catch {
    return false;
  }
}

/** The processes whose parent is `pid` (an nginx master's workers, cache manager and loader). */
function childPids(pid: number): Set<number> {
  try {
    // One read where the kernel keeps the list (CONFIG_PROC_CHILDREN, every common distribution kernel).
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return new Set(text.split(' ').filter((p) => p.trim() !== '').map(Number));
  } catch {
    // Otherwise every process's parent, from its stat line.
  }
  const children = new Set<number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.add(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already empty
  }
}
