// Long-running child processes for the e2e harness (etcd, kube-apiserver, backends).
// Each runs in its own process group with its output in a log file, so stop() can end it and
// everything it started, and jest is never held open by a pipe.
import { execa, type ResultPromise } from 'execa';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or null after a signal) when the process has ended. */
  readonly exited: Promise<number | null>;
  /** True until the process has exited. */
  running(): boolean;
  /** SIGTERM to the whole process group, SIGKILL after graceMs; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  logFile: string;
  env?: Record<string, string>;
  /** false: the child sees only env (a Pod's container), not this process's environment. Default true. */
  extendEnv?: boolean;
  cwd?: string;
}

export function startProcess(name: string, command: string, args: string[], opts: StartOptions): ManagedProcess {
  const child: ResultPromise = execa(command, args, {
    detached: true,
    reject: false,
    cleanup: true,
    stdin: 'ignore',
    stdout: { file: opts.logFile, append: true },
    stderr: { file: opts.logFile, append: true },
    env: opts.env,
    extendEnv: opts.extendEnv ?? true,
    cwd: opts.cwd,
  });
  if (child.pid === undefined) {
    throw new Error(`${name}: could not start ${command}`);
  }
  const pid = child.pid;
  let alive = true;
  const exited = child.then(
    (r) => {
      alive = false;
      return r.exitCode ?? null;
    },
    () => {
      alive = false;
      return null;
    },
  );
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // The group is already gone.
    }
  };
  return {
    name,
    pid,
    logFile: opts.logFile,
    exited,
    running: () => alive,
    async stop(graceMs = 10_000): Promise<void> {
      if (!alive) {
        signalGroup('SIGKILL'); // leftovers of the group, if any
        return;
      }
      signalGroup('SIGTERM');
      const timer = new Promise<'timeout'>((res) => {
        const t = setTimeout(() => res('timeout'), graceMs);
        void exited.then(() => clearTimeout(t));
      });
      if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
        signalGroup('SIGKILL');
        await exited;
      }
      signalGroup('SIGKILL');
    },
  };
}

/** Polls check() until it returns true; throws with the last error after timeoutMs. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; abort?: () => string | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last = '';
  for (;;) {
    const reason = opts.abort?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}
