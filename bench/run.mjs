#!/usr/bin/env node
// `npm run bench`: every Portico benchmark, each figure measured in the same run as its baseline.
// Prints a table and writes bench/results.md. BENCH_QUICK=1 runs a short smoke version (smaller N, fewer
// rounds); BENCH_ONLY=render,dataplane,waf,sync,big,knownbad runs a subset; BENCH_OUT=FILE writes the results elsewhere. Needs `npm run build` first, nginx, wrk, openssl.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { bigBench, knownBadBench, syncSmallBench } from './controller.mjs';
import { dataplaneBench } from './dataplane.mjs';
import { wafBench } from './waf.mjs';
import { CLI, NGINX, QUICK, ROOT, run, startBackend } from './lib/proc.mjs';
import { renderBench } from './render.mjs';

const started = Date.now();
const log = (msg) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);

async function machine() {
  const nginxV = (await run(NGINX, ['-v'])).stderr.trim().replace(/^nginx version: /, '');
  const wrkV = (await run('wrk', ['-v'])).stdout.split('\n')[0].trim();
  let commit = '';
  try {
    commit = (await run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGB: totalmem() / 1024 ** 3,
    node: process.version,
    nginx: nginxV,
    wrk: wrkV,
    kernel: existsSync('/proc/version') ? readFileSync('/proc/version', 'utf8').split(' ').slice(0, 3).join(' ') : '',
    commit,
    date: new Date().toISOString(),
  };
}

function fmt(v, unit) {
  if (v === undefined || Number.isNaN(v)) return '—';
  if (unit === 'req/s' || unit === 'MB' || unit === 'ms') return v >= 100 ? v.toFixed(0) : v.toFixed(unit === 'ms' ? 2 : 1);
  if (unit.startsWith('%')) return v.toFixed(1);
  return String(Math.round(v * 100) / 100);
}

function unitLabel(unit) {
  return unit === '% of a core' ? '%' : ` ${unit}`;
}

function rowCells(r) {
  if (r.error) return [r.bench, r.figure, 'ERROR', '—', '—', '—', r.error];
  const ratio = r.baseline ? r.value / r.baseline : NaN;
  const ratioText = Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—';
  const verdict = r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL';
  return [r.bench, r.figure, `${fmt(r.value, r.unit)}${unitLabel(r.unit)}`, `${fmt(r.baseline, r.unit)}${unitLabel(r.unit)} (${r.baselineName})`, ratioText, r.goal ?? '—', verdict];
}

const HEAD = ['Benchmark', 'Figure', 'Portico', 'Baseline', 'Ratio', 'Goal', 'Result'];

function markdownTable(rows) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  return [`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${rowCells(r).map(esc).join(' | ')} |`)].join('\n');
}

function textTable(rows) {
  const cells = [HEAD, ...rows.map(rowCells)];
  const widths = HEAD.map((_, i) => Math.min(70, Math.max(...cells.map((c) => String(c[i]).length))));
  return cells.map((c) => c.map((x, i) => String(x).padEnd(widths[i])).join('  ')).join('\n');
}

async function main() {
  if (!existsSync(CLI)) {
    process.stderr.write(`bench: ${CLI} is missing: run \`npm run build\` first\n`);
    process.exit(2);
  }
  const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
  const want = (k) => !only || only.has(k);
  const m = await machine();
  log(`Portico benchmarks${QUICK ? ' (BENCH_QUICK=1: smoke run, small N)' : ''}: ${m.cores} × ${m.cpu}, ${m.memoryGB.toFixed(1)} GB, Node ${m.node}, nginx ${m.nginx}`);
  const rows = [];
  const attempt = async (key, name, fn) => {
    if (!want(key)) return;
    log(`— ${name}`);
    try {
      rows.push(...(await fn()));
    } catch (err) {
      log(`${name} failed: ${err.stack ?? err}`);
      rows.push({ bench: name, figure: '(benchmark failed)', error: String(err.message ?? err).split('\n')[0] });
    }
  };
  await attempt('render', '1. render', () => renderBench(log));
  await attempt('dataplane', '4. data plane', () => dataplaneBench(log));
  await attempt('waf', '4b. data plane, WAF', () => wafBench(log));
  const backend = await startBackend();
  try {
    await attempt('sync', '2. incremental sync (small)', () => syncSmallBench(log, backend));
    await attempt('big', '2/3/5. controller at scale', () => bigBench(log, backend));
    // BENCH_KNOWN_BAD_N: the larger size (default 10,000; 1,000 with BENCH_QUICK=1).
    const badN = Number(process.env.BENCH_KNOWN_BAD_N ?? (QUICK ? 1000 : 10000));
    await attempt('knownbad', '2b. sync with a known-bad Ingress', async () => [
      ...(await knownBadBench(log, backend, 10, QUICK ? 3 : 10, 30000)),
      ...(await knownBadBench(log, backend, badN, QUICK || badN < 10000 ? 5 : 2, 300000)),
    ]);
  } finally {
    await backend.stop();
  }
  const minutes = (Date.now() - started) / 60000;
  const table = textTable(rows);
  process.stdout.write(`\n${table}\n\nTotal: ${minutes.toFixed(1)} min\n`);
  const md = `# Portico benchmark results

Generated by \`${QUICK ? 'BENCH_QUICK=1 ' : ''}npm run bench\` (bench/run.mjs) on ${m.date}${m.commit ? ` at commit ${m.commit}` : ''}, in ${minutes.toFixed(1)} minutes.${QUICK ? ' **Smoke run (BENCH_QUICK=1): smaller N and fewer rounds; not the reference figures.**' : ''}

Machine: ${m.cores} cores, ${m.cpu}; ${m.memoryGB.toFixed(1)} GB memory; ${m.kernel}; Node ${m.node}; nginx ${m.nginx}; ${m.wrk}.

Each figure is measured in the same run as its baseline (alternating where repeated), so the ratio is what
to compare between machines. The load generator, nginx, the backend and the controller share the machine.

${markdownTable(rows)}

How each figure is measured:
- **1. render**: \`node dist/cli/main.js render --manifests DIR --out FILE\` (a fresh process: reading YAML, model,
  render, certificate files) against \`nginx -t\` on the nginx.conf it wrote; wall time (median) and peak RSS
  (\`/usr/bin/time\`, max). The mix per 10 Ingresses: 7 plain (4 paths: Prefix /, /api, /static, Exact /healthz;
  one of them with a source-range allowlist), 1 TLS (one real RSA-2048 wildcard certificate, one Secret per
  namespace, 10 namespaces), 1 rewrite-target with regex paths, 1 use-regex; each Ingress with its own Service
  and EndpointSlice (2 endpoints).
- **2. incremental sync**: \`portico run --manifests DIR\` with its default debounce (100 ms) and minimum reload
  interval (1000 ms); one Ingress file rewritten (atomic rename) so that it gains a host; time until that host
  answers 200 on a new connection (polled every 5 ms). Floor: the controller stopped, plain nginx started on its
  last nginx.conf; the same config with one server block more written, \`nginx -t\`, SIGHUP to the master, until
  the new host answers 200. Endpoint-only change: one Ingress's Service moved to another backend (answering
  203), the Ingress unchanged; time until its host answers 203; with the default controller and with a second
  controller on the same files started with \`--dynamic-endpoints\` (its start-up time is reported too).
- **2b. known-bad Ingress**: a controller whose \`nginx -t\` (a wrapper) refuses any config containing a marker
  that one extra Ingress's path carries; the incremental syncs of 2 measured without that Ingress and with it
  (after the sync that adds it has found and excluded it), alternating, same controller; nginx -t runs per
  sync from \`portico_nginx_checks_total\`.
- **3. churn**: 500 Ingress files rewritten at an even pace over 10 s while \`wrk -t2 -c100\` holds 100
  connections on an Ingress that does not change; reloads from \`portico_reload_attempts_total\` on /metrics;
  the load runs until the last change is served plus 2 s. "Before" is the same wrk for 10 s before the churn.
- **4. data plane**: \`wrk -t1 -c50\` against Portico's rendered config for one plain Prefix / route, against a
  minimal hand-written nginx.conf (worker_processes auto, upstream keepalive 64, HTTP/1.1 upstream, default
  access log) and against the backend directly; also the same route served by \`portico run --dynamic-endpoints\`
  (a Lua balancer on the upstream), in the same alternating rounds. Backend for every benchmark: nginx itself, one worker,
  \`return 200 "ok"\`, no access log (so the backend is not what is measured).
- **4b. data plane, WAF**: \`wrk -t1 -c50\` on GET / of two hosts in one rendered config, same backend: one plain,
  one with \`enable-modsecurity\`, \`enable-owasp-core-rules\` and \`modsecurity-snippet: SecRuleEngine On\` (Debian's
  libmodsecurity 3.0 and Core Rule Set 3.3, paranoia level 1), alternating rounds; before measuring, the WAF host
  answers 403 to \`?q=<script>alert(1)</script>\` and the plain host 200.
- **5. controller**: CPU (user+sys from /proc, as % of one core) and RSS of the controller's node process
  (nginx excluded), 10 s at idle and during the churn of benchmark 3.
`;
  const out = process.env.BENCH_OUT ?? join(ROOT, 'bench', 'results.md');
  writeFileSync(out, md);
  log(`wrote ${out}`);
}

// Exit when done even if a failed benchmark left a timer behind.
main().then(() => process.exit(0)).catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
