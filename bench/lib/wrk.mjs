// Runs wrk (Debian's) against 127.0.0.1 only and parses what it prints.
import { run } from './proc.mjs';

function toMs(value, unit) {
  const v = Number(value);
  if (unit === 'us') return v / 1000;
  if (unit === 'ms') return v;
  if (unit === 's') return v * 1000;
  if (unit === 'm') return v * 60000;
  return NaN;
}

export function parseWrk(text) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
  const p = (q) => {
    const m = new RegExp(`^\\s+${q}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors = se ? { connect: +se[1], read: +se[2], write: +se[3], timeout: +se[4] } : { connect: 0, read: 0, write: 0, timeout: 0 };
  return { rps, p50: p(50), p99: p(99), requests, non2xx, errors, errorCount: errors.connect + errors.read + errors.write + errors.timeout };
}

/** wrk -t THREADS -c CONNS -d SECONDS --latency -H "Host: host" http://127.0.0.1:port/path */
export async function wrk({ port, host, path = '/', seconds = 5, connections = 50, threads = 1 }) {
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency', '--timeout', '5s'];
  if (host) args.push('-H', `Host: ${host}`);
  args.push(`http://127.0.0.1:${port}${path}`);
  const r = await run('wrk', args);
  if (r.code !== 0) throw new Error(`wrk failed: ${r.stderr}${r.stdout}`);
  return { ...parseWrk(r.stdout), raw: r.stdout };
}
