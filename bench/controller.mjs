// Benchmarks 2, 3 and 5, against `portico run` in directory mode (the built CLI as a child process):
//   2. incremental sync: one Ingress changed among 10 and among N_big; time from the file write to the new
//      route answering, against the floor: nginx -t + reload of the same config alone, to the route answering;
//   3. churn: 500 Ingress changes within 10 s while wrk holds 100 connections on routes that do not change;
//   5. the controller process's CPU and memory at idle and during that churn.
// The backend behind every route is a fast nginx (see lib/proc.mjs startBackend).
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startController } from './lib/controller.mjs';
import { hostOf, ingressFile, ingressYaml, kindOf, writeManifests } from './lib/gen.mjs';
import { getStatus, median, NGINX, nginxTest, procSample, sleep, startBackend, startNginx, tempDir, waitFor, QUICK } from './lib/proc.mjs';
import { parseWrk } from './lib/wrk.mjs';

/** Polls host/ on the port until it answers 200; resolves the ms since t0 (hrtime bigint). */
async function until200(port, host, t0, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if ((await getStatus(port, host, '/', 2000)) === 200) return Number(process.hrtime.bigint() - t0) / 1e6;
    if (Date.now() > end) throw new Error(`${host} did not answer 200 within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** Rewrites Ingress i's file as a tool would: written beside it, then renamed over it. */
function rewriteIngress(dir, i, opts) {
  const tmp = `${ingressFile(dir, i)}.tmp`;
  writeFileSync(tmp, ingressYaml(i, opts));
  renameSync(tmp, ingressFile(dir, i));
}

/** Plain Ingresses only (TLS ones redirect http to https), spread over the set. */
function plainIndices(n, count, from = 0) {
  const out = [];
  for (let i = from; i < n && out.length < count; i++) if (kindOf(i) === 'plain' && i % 10 !== 5) out.push(i);
  return out;
}

/** One incremental change at a time, spaced beyond the controller's minimum reload interval. */
async function syncSamples(ctl, dir, n, reps, backendPort, timeoutMs, versionBase = 10) {
  const pool = plainIndices(n, reps, Math.floor(n / 2)).concat(plainIndices(n, reps));
  const picks = Array.from({ length: reps }, (_, k) => pool[k % pool.length]);
  const times = [];
  for (let k = 0; k < picks.length; k++) {
    const i = picks[k];
    const version = versionBase + k; // a new host v<version>.app-<i> on every sample, even when an Ingress comes again
    await sleep(1500);
    const t0 = process.hrtime.bigint();
    rewriteIngress(dir, i, { backendPort, version });
    times.push(await until200(ctl.httpPort, `v${version}.${hostOf(i)}`, t0, timeoutMs));
  }
  return { times, picks };
}

/** Polls host/ until it answers `status`; resolves the ms since t0 (hrtime bigint). */
async function untilStatus(port, host, status, t0, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if ((await getStatus(port, host, '/', 2000)) === status) return Number(process.hrtime.bigint() - t0) / 1e6;
    if (Date.now() > end) throw new Error(`${host} did not answer ${status} within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/**
 * Endpoint-only changes: one Ingress's Service moves to another backend (which answers 203), its Ingress
 * unchanged; time from the file write to the route answering from the new endpoint, and reloads it cost.
 */
async function endpointSamples(ctl, dir, n, reps, backendPort, timeoutMs) {
  const marker = await startBackend({ status: 203 });
  const times = [];
  try {
    const reloadsBefore = (await ctl.metric('portico_reload_attempts_total')) ?? 0;
    const picks = plainIndices(n, n);
    for (let k = 0; k < reps; k++) {
      const i = picks[k % picks.length];
      await sleep(1500);
      const t0 = process.hrtime.bigint();
      rewriteIngress(dir, i, { backendPort: marker.port });
      times.push(await untilStatus(ctl.httpPort, hostOf(i), 203, t0, timeoutMs));
      // Back to the usual backend (another endpoint-only change), so later samples start from the same files.
      await sleep(1500);
      rewriteIngress(dir, i, { backendPort });
      await untilStatus(ctl.httpPort, hostOf(i), 200, process.hrtime.bigint(), timeoutMs);
    }
    const reloads = ((await ctl.metric('portico_reload_attempts_total')) ?? 0) - reloadsBefore;
    return { times, reloads };
  } finally {
    await marker.stop();
  }
}

function endpointFigure(n, samples, floorTimes, dynamic) {
  return {
    bench: '2. incremental sync',
    figure: `one Service's endpoints changed among ${n}${dynamic ? ', --dynamic-endpoints' : ' (default: reload)'}: file write → traffic on the new endpoint (median of ${samples.times.length}; ${samples.reloads} reloads)`,
    value: median(samples.times),
    unit: 'ms',
    baselineName: `nginx -t + reload alone (median of ${floorTimes.length})`,
    baseline: median(floorTimes),
    goal: dynamic ? 'no reload' : '—',
    pass: dynamic ? samples.reloads === 0 : undefined,
  };
}

/** A second controller on the same files with --dynamic-endpoints: its start-up time and endpoint changes. */
async function dynamicEndpointRun(log, dir, n, reps, backendPort, timeoutMs) {
  const base = tempDir(`dynamic-${n}`);
  const ctl = await startController({ manifests: dir, base, args: ['--dynamic-endpoints'] });
  try {
    log(`--dynamic-endpoints controller with ${n} Ingresses ready after ${ctl.readyMs} ms`);
    const samples = await endpointSamples(ctl, dir, n, reps, backendPort, timeoutMs);
    log(`endpoint change among ${n}, --dynamic-endpoints: ${samples.times.map((t) => t.toFixed(0)).join(', ')} ms, ${samples.reloads} reloads`);
    return { samples, readyMs: ctl.readyMs };
  } finally {
    await ctl.stop();
    if (process.env.BENCH_KEEP !== '1') rmSync(base, { recursive: true, force: true });
  }
}

/**
 * The floor for the same config: the controller stopped, a plain nginx started on its last nginx.conf, then per
 * sample a copy of that config with one server block more (one new host, as one changed Ingress adds),
 * written, nginx -t, nginx -s reload, until the new host answers 200.
 */
async function floorSamples(stateDir, httpPort, n, reps, timeoutMs) {
  const confPath = join(stateDir, 'nginx.conf');
  const original = readFileSync(confPath, 'utf8');
  const nginx = await startNginx(stateDir, confPath, httpPort);
  const times = [];
  try {
    const pool = plainIndices(n, reps, 1);
    for (let k = 0; k < reps; k++) {
      const host = hostOf(pool[k % pool.length]);
      const at = original.indexOf(`server_name "${host}";`);
      if (at < 0) throw new Error(`floor: no server block for ${host} in the controller's nginx.conf`);
      const start = original.lastIndexOf('\n    server {\n', at);
      const end = original.indexOf('\n    }\n', at) + '\n    }\n'.length;
      const block = original.slice(start, end).replace(`server_name "${host}";`, `server_name "f${k}.${host}";`);
      const text = original.slice(0, end) + block + original.slice(end);
      await sleep(1000);
      const t0 = process.hrtime.bigint();
      const tmp = join(stateDir, 'nginx.conf.floor');
      writeFileSync(tmp, text);
      await nginxTest(stateDir, tmp);
      renameSync(tmp, confPath);
      await nginx.reload();
      times.push(await until200(httpPort, `f${k}.${host}`, t0, timeoutMs));
    }
  } finally {
    await nginx.stop();
  }
  return times;
}

async function syncFigure(label, ctlTimes, floorTimes, goalMs) {
  const m = median(ctlTimes);
  const f = median(floorTimes);
  const rows = [
    {
      bench: '2. incremental sync',
      figure: `one Ingress changed among ${label}: file write → new route answers (median of ${ctlTimes.length})`,
      value: m,
      unit: 'ms',
      baselineName: `nginx -t + reload alone (median of ${floorTimes.length})`,
      baseline: f,
      goal: goalMs ? `≤ 1.5× and ≤ ${goalMs} ms` : '≤ 1.5×',
      pass: m <= 1.5 * f && (!goalMs || m <= goalMs),
    },
  ];
  return rows;
}

/** Samples a process's CPU and RSS every intervalMs until stop() is called. */
function sampler(pid, intervalMs = 250) {
  const samples = [procSample(pid)];
  const timer = setInterval(() => {
    const s = procSample(pid);
    if (s) samples.push(s);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const last = procSample(pid) ?? samples[samples.length - 1];
      samples.push(last);
      const first = samples[0];
      const cpuPct = (100 * (last.cpuS - first.cpuS)) / ((last.t - first.t) / 1000);
      return {
        cpuPct,
        rssAvgMB: samples.reduce((a, s) => a + s.rssMB, 0) / samples.length,
        rssMaxMB: Math.max(...samples.map((s) => s.rssMB)),
        seconds: (last.t - first.t) / 1000,
      };
    },
  };
}

/** wrk on one URL until SIGINT (wrk prints its statistics when interrupted). */
function wrkUntilStopped({ port, host, connections }) {
  const child = spawn('wrk', ['-t', '2', '-c', String(connections), '-d', '600s', '--latency', '--timeout', '5s', '-H', `Host: ${host}`, `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const done = new Promise((r) => child.on('close', r));
  return {
    async stop() {
      child.kill('SIGINT');
      await done;
      return parseWrk(out);
    },
  };
}

async function timedWrk(opts, seconds) {
  const w = wrkUntilStopped(opts);
  await sleep(seconds * 1000);
  return w.stop();
}

export async function syncSmallBench(log, backend) {
  const n = 10;
  const reps = QUICK ? 3 : 10;
  const base = tempDir('sync-small');
  const dir = writeManifests(join(base, 'manifests'), n, { backendPort: backend.port });
  // Before the sync samples, which add hosts to some files (an endpoint sample rewrites a file whole).
  const dynamic = await dynamicEndpointRun(log, dir, n, Math.min(reps, 5), backend.port, 30000);
  const ctl = await startController({ manifests: dir, base });
  let ctlTimes;
  let endpoints;
  try {
    // Endpoint samples first: they leave the files as they found them, and sync samples add hosts.
    endpoints = await endpointSamples(ctl, dir, n, Math.min(reps, 5), backend.port, 30000);
    ({ times: ctlTimes } = await syncSamples(ctl, dir, n, reps, backend.port, 30000));
  } finally {
    await ctl.stop();
  }
  const floor = await floorSamples(ctl.stateDir, ctl.httpPort, n, reps, 30000);
  log(`sync among ${n}: controller ${ctlTimes.map((t) => t.toFixed(0)).join(', ')} ms; floor ${floor.map((t) => t.toFixed(0)).join(', ')} ms`);
  log(`endpoint change among ${n}: ${endpoints.times.map((t) => t.toFixed(0)).join(', ')} ms, ${endpoints.reloads} reloads`);
  if (process.env.BENCH_KEEP === '1') log(`kept ${base}`);
  else rmSync(base, { recursive: true, force: true });
  return [...(await syncFigure(`${n}`, ctlTimes, floor, 300)), endpointFigure(n, endpoints, floor, false), endpointFigure(n, dynamic.samples, floor, true)];
}

export async function bigBench(log, backend) {
  const n = QUICK ? 1000 : 10000;
  const base = tempDir(`big-${n}`);
  const dir = writeManifests(join(base, 'manifests'), n, { backendPort: backend.port });
  const rows = [];
  const ctl = await startController({ manifests: dir, base });
  log(`controller with ${n} Ingresses ready (first config in force) after ${ctl.readyMs} ms`);
  let ctlTimes;
  let endpoints;
  let idle;
  let churnStats;
  let stopLoad;
  let stopSampler;
  try {
    // 5. idle
    await sleep(3000);
    const idleSampler = sampler(ctl.pid, 500);
    await sleep(QUICK ? 3000 : 10000);
    idle = idleSampler.stop();
    log(`controller idle: ${idle.cpuPct.toFixed(1)}% CPU, RSS ${idle.rssAvgMB.toFixed(0)} MB`);

    // 2. incremental sync among n
    const reps = 2;
    endpoints = await endpointSamples(ctl, dir, n, reps, backend.port, 300000);
    log(`endpoint change among ${n}: ${endpoints.times.map((t) => t.toFixed(0)).join(', ')} ms, ${endpoints.reloads} reloads`);
    ({ times: ctlTimes } = await syncSamples(ctl, dir, n, reps, backend.port, 300000));
    log(`sync among ${n}: controller ${ctlTimes.map((t) => t.toFixed(0)).join(', ')} ms`);

    // 3. churn, with 5. during it
    const steady = plainIndices(n, 1, 1)[0];
    const steadyHost = hostOf(steady);
    if ((await getStatus(ctl.httpPort, steadyHost, '/')) !== 200) throw new Error(`${steadyHost} does not answer 200`);
    await sleep(1500);
    const before = await timedWrk({ port: ctl.httpPort, host: steadyHost, connections: 100 }, QUICK ? 5 : 10);
    const reloadsBefore = (await ctl.metric('portico_reload_attempts_total')) ?? 0;
    const successesBefore = (await ctl.metric('portico_reload_successes_total')) ?? 0;
    const changes = 500;
    const churned = plainIndices(n, changes, 100);
    const kinds = [];
    for (let i = 100; kinds.length + churned.length < changes && i < n; i++) if (!churned.includes(i)) kinds.push(i);
    const targets = churned.concat(kinds).slice(0, changes);
    const during = wrkUntilStopped({ port: ctl.httpPort, host: steadyHost, connections: 100 });
    stopLoad = () => during.stop();
    const churnSampler = sampler(ctl.pid, 250);
    stopSampler = () => churnSampler.stop();
    await sleep(1000);
    const t0 = process.hrtime.bigint();
    const spacing = 10000 / changes;
    for (let k = 0; k < targets.length; k++) {
      const due = Number(t0) / 1e6 + k * spacing;
      const wait = due - Number(process.hrtime.bigint()) / 1e6;
      if (wait > 0) await sleep(wait);
      const i = targets[k];
      rewriteIngress(dir, i, { backendPort: backend.port, version: 2 });
    }
    const churnSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const lastPlain = churned[churned.length - 1];
    // Bounded: a controller that has not served the last change after this long fails the figure.
    const settleLimitMs = QUICK ? 120000 : 240000;
    let settledMs;
    try {
      settledMs = await until200(ctl.httpPort, `v2.${hostOf(lastPlain)}`, t0, settleLimitMs);
    } catch {
      settledMs = Infinity;
      log(`churn: the last change was not served within ${settleLimitMs / 1000} s; see ${ctl.logPath}`);
    }
    await sleep(2000);
    const duringRes = await during.stop();
    const churnRes = churnSampler.stop();
    const reloads = ((await ctl.metric('portico_reload_attempts_total')) ?? 0) - reloadsBefore;
    const successes = ((await ctl.metric('portico_reload_successes_total')) ?? 0) - successesBefore;
    // Every changed route answers now.
    let missing = 0;
    for (const i of churned) if ((await getStatus(ctl.httpPort, `v2.${hostOf(i)}`, '/')) !== 200) missing++;
    stopLoad = undefined;
    const checksRun = await ctl.metric('portico_sync_duration_seconds_count');
    churnStats = { before, during: duringRes, reloads, successes, churnSeconds, settledMs, missing, res: churnRes, checksRun, churnedCount: churned.length };
    log(
      `churn: ${targets.length} changes in ${churnSeconds.toFixed(1)} s, all served after ${(settledMs / 1000).toFixed(1)} s; reloads ${reloads} (${successes} ok); ` +
        `non-2xx ${duringRes.non2xx}, socket errors ${duringRes.errorCount} (${JSON.stringify(duringRes.errors)}); p99 ${duringRes.p99} ms during vs ${before.p99} ms before; ` +
        `controller ${churnRes.cpuPct.toFixed(0)}% CPU, RSS max ${churnRes.rssMaxMB.toFixed(0)} MB; changed routes not answering: ${missing}`,
    );
  } finally {
    stopSampler?.();
    await stopLoad?.().catch(() => undefined);
    await ctl.stop();
  }
  const floor = await floorSamples(ctl.stateDir, ctl.httpPort, n, 2, 300000);
  log(`floor among ${n}: ${floor.map((t) => t.toFixed(0)).join(', ')} ms`);
  const dynamic = await dynamicEndpointRun(log, dir, n, 2, backend.port, 300000);
  if (process.env.BENCH_KEEP === '1') log(`kept ${base}`);
  else rmSync(base, { recursive: true, force: true });

  rows.push(...(await syncFigure(`${n}`, ctlTimes, floor)));
  rows.push(endpointFigure(n, endpoints, floor, false));
  rows.push(endpointFigure(n, dynamic.samples, floor, true));
  rows.push({ bench: '2. incremental sync', figure: `first sync: start → first config in force, ${n} Ingresses`, value: ctl.readyMs, unit: 'ms', baselineName: 'nginx -t + reload alone (floor above)', baseline: median(floor), goal: '—' });
  rows.push({ bench: '2. incremental sync', figure: `first sync with --dynamic-endpoints (Lua module loaded), ${n} Ingresses`, value: dynamic.readyMs, unit: 'ms', baselineName: 'first sync without', baseline: ctl.readyMs, goal: '—' });
  const c = churnStats;
  const load = '100 connections on an unchanged route';
  rows.push({ bench: '3. churn', figure: `reloads for 500 changes in ${c.churnSeconds.toFixed(1)} s (${n} Ingresses); ${Number.isFinite(c.settledMs) ? `all served after ${(c.settledMs / 1000).toFixed(1)} s` : `NOT all served within the ${QUICK ? 120 : 240} s limit (${c.missing} of ${churned500(c)} changed routes missing)`}`, value: c.reloads, unit: 'reloads', baselineName: 'changes', baseline: targets500(c), goal: '≤ 10', pass: c.reloads <= 10 && c.missing === 0 && Number.isFinite(c.settledMs) });
  rows.push({ bench: '3. churn', figure: `failed or non-2xx requests during churn (${load})`, value: c.during.non2xx + c.during.errorCount, unit: 'requests', baselineName: 'requests sent', baseline: c.during.requests, goal: '0', pass: c.during.non2xx + c.during.errorCount === 0 });
  rows.push({ bench: '3. churn', figure: 'p99 latency during churn', value: c.during.p99, unit: 'ms', baselineName: 'p99 before churn', baseline: c.before.p99, goal: '—' });
  rows.push({ bench: '3. churn', figure: 'req/s during churn', value: c.during.rps, unit: 'req/s', baselineName: 'req/s before churn', baseline: c.before.rps, goal: '—' });
  rows.push({ bench: '5. controller', figure: `CPU, ${n} Ingresses, during churn (idle: ${idle.cpuPct.toFixed(1)}%)`, value: c.res.cpuPct, unit: '% of a core', baselineName: 'idle', baseline: idle.cpuPct, goal: '—' });
  rows.push({ bench: '5. controller', figure: `RSS, ${n} Ingresses, max during churn`, value: c.res.rssMaxMB, unit: 'MB', baselineName: 'idle', baseline: idle.rssAvgMB, goal: '—' });
  return rows;
}

function targets500() {
  return 500;
}

function churned500(c) {
  return c.churnedCount;
}

const REFUSED = 'portico-bench-refused';

/**
 * An nginx whose `nginx -t` refuses any config containing REFUSED, as nginx refuses a bad directive
 * (the validators refuse the inputs nginx is known to refuse, so a real one cannot be written). Every
 * check pays for the grep, with or without the bad Ingress: the two figures stay comparable.
 */
function refusingNginx(dir) {
  const path = join(dir, 'nginx-refusing');
  writeFileSync(
    path,
    `#!/bin/sh
conf=""; prev=""
for a in "$@"; do [ "$prev" = "-c" ] && conf="$a"; prev="$a"; done
case " $* " in *" -t "*)
  line=$(grep -n '${REFUSED}' "$conf" | grep -v '^[0-9]*:[[:space:]]*#' | head -1 | cut -d: -f1)
  if [ -n "$line" ]; then echo "nginx: [emerg] invalid value \\"${REFUSED}\\" in $conf:$line" >&2; exit 1; fi;;
esac
exec ${NGINX} "$@"
`,
  );
  chmodSync(path, 0o755);
  return path;
}

/** An Ingress nginx -t refuses (through refusingNginx), on a Service of the set. */
function badIngressYaml() {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: known-bad
  namespace: team-0
  creationTimestamp: "2026-01-01T00:00:00Z"
spec:
  ingressClassName: portico
  rules:
    - host: "known-bad.${hostOf(0).split('.').slice(1).join('.')}"
      http:
        paths:
          - path: "/${REFUSED}"
            pathType: Prefix
            backend:
              service:
                name: app-0
                port:
                  number: 80
`;
}

/**
 * 2b. The sync cost with one known-bad Ingress (nginx -t refuses it) among n, against the same controller's
 * sync cost without it, in the same run and alternating (the machine's load drifts): per round, one
 * incremental sync without it; the bad Ingress added (that sync finds and excludes it: not in the ratio,
 * reported apart); one incremental sync with it; the bad Ingress removed. Also the nginx -t runs of the
 * syncs with it (portico_nginx_checks_total): 1 each when the culprit is remembered.
 */
export async function knownBadBench(log, backend, n, reps, timeoutMs) {
  const base = tempDir(`known-bad-${n}`);
  const dir = writeManifests(join(base, 'manifests'), n, { backendPort: backend.port });
  const ctl = await startController({ manifests: dir, base, args: ['--nginx-binary', refusingNginx(base)] });
  const badFile = join(dir, 'known-bad.yaml');
  const excluded = (count) => waitFor(async () => (await ctl.metric('portico_ingresses_excluded')) === count, timeoutMs, `${count} excluded`, 20);
  const checks = async () => (await ctl.metric('portico_nginx_checks_total')) ?? 0;
  const without = [];
  const withBad = [];
  const finds = [];
  let checksWithBad = 0;
  try {
    log(`known-bad controller with ${n} Ingresses ready after ${ctl.readyMs} ms`);
    for (let k = 0; k < reps; k++) {
      without.push(...(await syncSamples(ctl, dir, n, 1, backend.port, timeoutMs, 100 + 2 * k)).times);
      await sleep(1500);
      const c0 = await checks();
      const t0 = process.hrtime.bigint();
      writeFileSync(badFile, badIngressYaml());
      await excluded(1);
      finds.push({ ms: Number(process.hrtime.bigint() - t0) / 1e6, checks: (await checks()) - c0 });
      const c1 = await checks();
      withBad.push(...(await syncSamples(ctl, dir, n, 1, backend.port, timeoutMs, 101 + 2 * k)).times);
      await sleep(500);
      checksWithBad += (await checks()) - c1;
      if ((await ctl.metric('portico_ingresses_excluded')) !== 1) throw new Error('the bad Ingress is no longer excluded');
      rmSync(badFile);
      await excluded(0);
    }
  } finally {
    await ctl.stop();
    if (process.env.BENCH_KEEP === '1') log(`kept ${base}`);
    else rmSync(base, { recursive: true, force: true });
  }
  const checksPerSync = checksWithBad / reps;
  const firstFind = { ms: median(finds.map((f) => f.ms)), checks: Math.max(...finds.map((f) => f.checks)) };
  log(`known-bad among ${n}: the adding sync found and excluded it after ${finds.map((f) => `${f.ms.toFixed(0)} ms (${f.checks} nginx -t)`).join(', ')}`);
  log(`sync among ${n} without a bad Ingress: ${without.map((t) => t.toFixed(0)).join(', ')} ms; with one known bad: ${withBad.map((t) => t.toFixed(0)).join(', ')} ms; ${checksPerSync} nginx -t per sync`);
  const m = median(withBad);
  const b = median(without);
  return [
    {
      bench: '2. incremental sync',
      figure: `one Ingress changed among ${n} with one known-bad Ingress (nginx -t refuses it; ${checksPerSync} nginx -t per sync): file write → new route answers (median of ${withBad.length})`,
      value: m,
      unit: 'ms',
      baselineName: `the same without the bad Ingress, same controller (median of ${without.length})`,
      baseline: b,
      goal: '≤ 1.1×',
      pass: m <= 1.1 * b,
    },
    {
      bench: '2. incremental sync',
      figure: `the bad Ingress added among ${n}: file write → reported excluded, the rest applied (median of ${finds.length}; at most ${firstFind.checks} nginx -t)`,
      value: firstFind.ms,
      unit: 'ms',
      baselineName: 'one sync without it (median above)',
      baseline: b,
      goal: '—',
    },
  ];
}
