import { execa, type ResultPromise } from 'execa';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { metricValue } from '../../src/report/metrics.js';
import type { KubeObject } from '../../src/store/types.js';
import { request, type Reply, type RequestOptions } from './http.js';
import { tempStateDir } from './nginx.js';
import { freePort, waitFor } from './processes.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'dist', 'cli', 'main.js');

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestMtime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, (await stat(full)).mtimeMs);
  }
  return newest;
}

let built: Promise<void> | undefined;
/** `npm test` builds first (pretest); a single test file run builds here when dist/ is older than src/. */
export function ensureBuilt(): Promise<void> {
  built ??= (async () => {
    const distTime = await stat(CLI).then((s) => s.mtimeMs, () => 0);
    if (distTime >= (await newestMtime(join(root, 'src')))) return;
    await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, reject: false });
  })();
  return built;
}

export interface ControllerOptions {
  /** Initial files in the manifest directory: name → objects or YAML text. */
  files?: Record<string, KubeObject[] | string>;
  args?: string[];
  debounceMs?: number;
  minReloadIntervalMs?: number;
  templateDir?: string;
  /** Return as soon as the metrics port answers, before the first config (default: wait for /readyz). */
  noWaitReady?: boolean;
}

export interface RunningController {
  dir: string;
  stateDir: string;
  httpPort: number;
  httpsPort: number;
  metricsPort: number;
  statusPort: number;
  /** The loopback port of /debug/config (--debug-port). */
  debugPort: number;
  child: ResultPromise;
  /** Parsed JSON log lines so far. */
  logs: Array<Record<string, unknown> & { level: string; message: string }>;
  writeFile(name: string, content: KubeObject[] | string): Promise<void>;
  removeFile(name: string): Promise<void>;
  get(host: string, path: string, extra?: Partial<RequestOptions>): Promise<Reply>;
  /** GET on the metrics port. */
  status(path: string): Promise<Reply>;
  /** GET on the debug port (127.0.0.1): /debug/config. */
  debug(path: string): Promise<Reply>;
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  /** Waits until a request answers with the given backend (echo service name) or status. */
  waitForBackend(host: string, path: string, service: string | null, status?: number, timeoutMs?: number): Promise<Reply>;
  /**
   * True when nginx runs only the workers of one config: no worker of an earlier config still accepts.
   * After a reload the nginx master waits 100 ms before it tells the old workers to stop accepting, so for
   * that long a new connection may meet the config before last; a test that asserts what the newest
   * config serves waits for this first.
   */
  workersSettled(): Promise<boolean>;
  /** Resolves with the exit code. */
  exited: Promise<number | undefined>;
  stop(): Promise<number | undefined>;
}

/** The command lines of the nginx master's children (workers, cache manager, cache loader). */
async function nginxChildren(stateDir: string): Promise<string[]> {
  const master = Number((await readFile(join(stateDir, 'nginx.pid'), 'utf8').catch(() => '')).trim());
  if (!master) return [];
  const pids = (await readFile(`/proc/${master}/task/${master}/children`, 'utf8').catch(() => '')).split(' ').filter((p) => p.trim() !== '');
  const lines = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')));
  return lines.map((l) => l.replace(/\0/g, ' ').trim()).filter((l) => l !== '');
}

/** nginx.conf's worker_processes, as nginx reads it ("auto": one per online CPU). */
async function configuredWorkers(stateDir: string): Promise<number> {
  const conf = await readFile(join(stateDir, 'nginx.conf'), 'utf8').catch(() => '');
  const value = /^\s*worker_processes\s+(\S+);/m.exec(conf)?.[1] ?? '1';
  return value === 'auto' ? availableParallelism() : Number(value);
}

async function nginxWorkersSettled(stateDir: string): Promise<boolean> {
  const children = await nginxChildren(stateDir);
  if (children.some((c) => c.includes('shutting down'))) return false;
  const accepting = children.filter((c) => c.startsWith('nginx: worker process'));
  return accepting.length > 0 && accepting.length <= (await configuredWorkers(stateDir));
}

/**
 * nginx runs in its own process group and outlives a controller killed with SIGKILL (by design: the next
 * controller adopts it). A test must not leave one behind: kill whatever master STATE/nginx.pid names,
 * if it is an nginx on this state dir, with its workers.
 */
export async function killLeftoverNginx(stateDir: string): Promise<boolean> {
  const pid = Number((await readFile(join(stateDir, 'nginx.pid'), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 1) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('nginx') || !cmdline.includes(stateDir)) return false;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return false;
    }
  }
  return true;
}

export function toYaml(content: KubeObject[] | string): string {
  return typeof content === 'string' ? content : content.map((o) => stringify(o)).join('---\n');
}

/** Starts `node dist/cli/main.js run --manifests DIR` as a real child process on free ports, ready (readyz 200). */
export async function startController(opts: ControllerOptions = {}): Promise<RunningController> {
  await ensureBuilt();
  const base = await tempStateDir('portico-run-');
  await chmod(base, 0o755); // nginx's workers (nobody, when run as root) enter the state dir below it
  const dir = join(base, 'manifests');
  const stateDir = join(base, 'state');
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(opts.files ?? {})) await writeFile(join(dir, name), toYaml(content));
  const [httpPort, httpsPort, metricsPort, statusPort, debugPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const args = [
    CLI, 'run', '--manifests', dir, '--state-dir', stateDir,
    '--http-port', String(httpPort), '--https-port', String(httpsPort),
    '--metrics-port', String(metricsPort), '--status-port', String(statusPort), '--debug-port', String(debugPort),
    '--debounce-ms', String(opts.debounceMs ?? 50), '--min-reload-interval-ms', String(opts.minReloadIntervalMs ?? 200),
    '--log-level', 'debug',
    ...(opts.templateDir ? ['--template-dir', opts.templateDir] : []),
    ...(opts.args ?? []),
  ];
  const child = execa('node', args, { reject: false, buffer: false, stdin: 'ignore', env: { PATH: `${process.env.PATH}:/usr/sbin` } });
  const logs: RunningController['logs'] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ level: 'raw', message: line });
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = child.then((r) => r.exitCode);
  let exitedYet = false;
  void exited.then(() => (exitedYet = true));

  const status = (path: string) => request({ port: metricsPort, path });
  const ctl: RunningController = {
    dir,
    stateDir,
    httpPort,
    httpsPort,
    metricsPort,
    statusPort,
    debugPort,
    child,
    logs,
    writeFile: (name, content) => writeFile(join(dir, name), toYaml(content)),
    removeFile: (name) => rm(join(dir, name), { force: true }),
    get: (host, path, extra = {}) => request({ port: httpPort, host, path, ...extra }),
    status,
    debug: (path) => request({ port: debugPort, path }),
    metric: async (name, labels) => metricValue((await status('/metrics')).body, name, labels),
    waitForBackend: async (host, path, service, want = 200, timeoutMs = 10000) => {
      let last: Reply | undefined;
      await waitFor(
        async () => {
          last = await ctl.get(host, path);
          return last.status === want && (service === null || last.echo?.service === service);
        },
        timeoutMs,
        `${host}${path} → ${service ?? want} (last: ${last?.status} ${last?.echo?.service ?? last?.body.slice(0, 80)})`,
      );
      return last!;
    },
    workersSettled: () => nginxWorkersSettled(stateDir),
    exited,
    stop: async () => {
      if (!exitedYet) child.kill('SIGTERM');
      const code = await exited;
      // A controller that fails on its way out says why in its last log lines: show them beside the failure.
      if (typeof code === 'number' && code !== 0) console.error(`portico run exited ${String(code)}; its last log lines:\n${logs.slice(-15).map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${stderr.slice(-3000)}`);
      const leftover = await killLeftoverNginx(stateDir);
      if (leftover && code === 0) throw new Error('the controller exited 0 but left its nginx running');
      await rm(base, { recursive: true, force: true }).catch(() => undefined);
      return code;
    },
  };
  try {
    await waitFor(async () => {
      if (exitedYet) throw new Error('exited');
      const probe = await status('/readyz');
      return opts.noWaitReady ? true : probe.status === 200;
    }, 20000, 'controller ready');
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    await killLeftoverNginx(stateDir);
    throw new Error(`controller did not become ready: ${(err as Error).message}\nstderr: ${stderr}\nlogs: ${logs.map((l) => JSON.stringify(l)).join('\n')}`);
  }
  return ctl;
}
