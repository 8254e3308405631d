// Process, port and measurement helpers for the benchmarks (no dependencies beyond Node and Debian tools).
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const NGINX = process.env.NGINX_BIN ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx');
export const QUICK = process.env.BENCH_QUICK === '1';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `portico-bench-${prefix}-`));
  // State dirs live below it: nginx's workers (nobody, when run as root) must enter it; mkdtemp makes it 0700.
  chmodSync(dir, 0o755);
  return dir;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function portOpen(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function waitFor(fn, timeoutMs, what, intervalMs = 20) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Runs a command to completion; resolves {code, stdout, stderr, ms}. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
  });
}

/** Runs a command under /usr/bin/time: wall time measured here, peak RSS (MB) from the kernel via time(1). */
export async function measured(cmd, args, opts = {}) {
  const out = join(tempDir('time'), 'rusage');
  const r = await run('/usr/bin/time', ['-f', '%M %U %S', '-o', out, cmd, ...args], opts);
  const [kb, user, sys] = readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { ...r, rssMB: kb / 1024, cpuS: user + sys };
}

export function nginxArgs(stateDir, conf) {
  return ['-p', stateDir, '-c', conf, '-e', join(stateDir, 'logs', 'error.log')];
}

/** `nginx -t` on a config; throws with nginx's output when it fails. */
export async function nginxTest(stateDir, conf, { measure = false } = {}) {
  const r = measure ? await measured(NGINX, ['-t', '-q', ...nginxArgs(stateDir, conf)]) : await run(NGINX, ['-t', '-q', ...nginxArgs(stateDir, conf)]);
  if (r.code !== 0) throw new Error(`nginx -t failed for ${conf}:\n${r.stderr}`);
  return r;
}

/** Starts nginx in the foreground on a config; resolves once `port` accepts connections. */
export async function startNginx(stateDir, conf, port) {
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  const child = spawn(NGINX, [...nginxArgs(stateDir, conf), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise((r) => child.on('close', r));
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(async () => {
    if (gone) throw new Error(`nginx exited at start: ${stderr}`);
    return portOpen(port);
  }, 20000, `nginx on port ${port}`);
  return {
    pid: child.pid,
    stateDir,
    conf,
    /** SIGHUP to the master, as a controller does (`nginx -s reload` would parse the whole config once more). */
    async reload() {
      process.kill(child.pid, 'SIGHUP');
    },
    async stop() {
      if (gone) return;
      child.kill('SIGQUIT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * A fast backend: nginx itself, one worker, answering every request with 200 (or \`status\`) and a 2-byte body, no log.
 * Used by every benchmark so the backend is never what is measured.
 */
export async function startBackend({ status = 200 } = {}) {
  const dir = tempDir('backend');
  const port = await freePort();
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000;
    client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
    server {
        listen 127.0.0.1:${port} default_server;
        location / { default_type text/plain; return ${status} "ok"; }
    }
}
`,
  );
  const nginx = await startNginx(dir, conf, port);
  return { port, stop: () => nginx.stop() };
}

/** One HTTP/1.1 GET to 127.0.0.1:port with a Host header (new connection); resolves the status (0 on error). */
export function getStatus(port, host, path, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** CPU seconds (user+sys) and RSS (MB) of a process from /proc. */
export function procSample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuS: ticks / 100, rssMB: rss / 1024, peakMB: hwm / 1024, t: Date.now() };
  } catch {
    return undefined;
  }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
