// Starts `portico run` in directory mode as a real child process (the built CLI), for benchmarks 2, 3 and 5.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, freePort, getStatus, waitFor } from './proc.mjs';
import { request as httpRequest } from 'node:http';

function httpGet(port, path) {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

export function parseMetric(text, name) {
  let sum;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name) sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}

/**
 * `node dist/cli/main.js run --manifests DIR ...` with the controller's default debounce and minimum reload
 * interval unless given. Resolves once /readyz answers 200 (the first config is in force).
 */
export async function startController({ manifests, base, debounceMs, minReloadIntervalMs, readyTimeoutMs = 600000, args: extraArgs = [] }) {
  const stateDir = join(base, 'state');
  mkdirSync(stateDir, { recursive: true });
  const [httpPort, httpsPort, metricsPort, statusPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const args = [
    CLI, 'run', '--manifests', manifests, '--state-dir', stateDir,
    '--http-port', String(httpPort), '--https-port', String(httpsPort),
    '--metrics-port', String(metricsPort), '--status-port', String(statusPort), '--debug-port', '0', '--log-level', 'info',
  ];
  if (debounceMs !== undefined) args.push('--debounce-ms', String(debounceMs));
  if (minReloadIntervalMs !== undefined) args.push('--min-reload-interval-ms', String(minReloadIntervalMs));
  args.push(...extraArgs);
  const logPath = join(base, 'controller.log');
  const logFile = createWriteStream(logPath);
  const child = spawn('node', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` } });
  child.stdout.pipe(logFile);
  child.stderr.pipe(logFile);
  const exited = new Promise((r) => child.on('close', r));
  let gone = false;
  void exited.then(() => (gone = true));
  const t0 = Date.now();
  await waitFor(async () => {
    if (gone) throw new Error(`portico run exited at start; see ${logPath}`);
    return (await httpGet(metricsPort, '/readyz')).status === 200;
  }, readyTimeoutMs, 'portico run to be ready', 100);
  const readyMs = Date.now() - t0;
  return {
    pid: child.pid,
    httpPort,
    stateDir,
    logPath,
    readyMs,
    get: (host, path) => getStatus(httpPort, host, path),
    async metric(name) {
      const r = await httpGet(metricsPort, '/metrics');
      return parseMetric(r.body, name);
    },
    async stop() {
      if (gone) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20000);
      await exited;
      clearTimeout(t);
      logFile.end();
      // The controller's nginx must not outlive it (it would hold the ports and the state dir).
      try {
        const pid = Number(readFileSync(join(stateDir, 'nginx.pid'), 'utf8').trim());
        if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(stateDir)) {
          process.kill(pid, 'SIGQUIT');
          await waitFor(() => { try { process.kill(pid, 0); return false; } catch { return true; } }, 30000, 'the controller\'s nginx to exit', 100);
        }
      } catch {
        // no pid file or already gone
      }
    },
  };
}
