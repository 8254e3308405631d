// Benchmark 1: `portico render` at scale against `nginx -t` on the same output.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeManifests } from './lib/gen.mjs';
import { CLI, measured, median, nginxTest, tempDir, QUICK } from './lib/proc.mjs';

export async function renderAt(n, reps, log) {
  const base = tempDir(`render-${n}`);
  const manifests = writeManifests(join(base, 'manifests'), n);
  const stateDir = join(base, 'state');
  const conf = join(stateDir, 'nginx.conf');
  const renders = [];
  const tests = [];
  // Alternate the two so that noise on the machine falls on both.
  for (let r = 0; r < reps; r++) {
    const out = await measured('node', [CLI, 'render', '--manifests', manifests, '--state-dir', stateDir, '--http-port', '18080', '--https-port', '18443', '--out', conf]);
    if (out.code !== 0) throw new Error(`portico render failed (${out.code}): ${out.stderr.slice(0, 2000)}`);
    renders.push(out);
    tests.push(await nginxTest(stateDir, conf, { measure: true }));
  }
  const { size } = await import('node:fs').then((fs) => fs.statSync(conf));
  const res = {
    n,
    confMB: size / 1024 / 1024,
    renderMs: median(renders.map((x) => x.ms)),
    renderRssMB: Math.max(...renders.map((x) => x.rssMB)),
    testMs: median(tests.map((x) => x.ms)),
    testRssMB: Math.max(...tests.map((x) => x.rssMB)),
    warnings: renders[0].stderr.split('\n').filter(Boolean).length,
  };
  log(`render N=${n}: portico ${res.renderMs.toFixed(0)} ms / ${res.renderRssMB.toFixed(0)} MB, nginx -t ${res.testMs.toFixed(0)} ms / ${res.testRssMB.toFixed(0)} MB, nginx.conf ${res.confMB.toFixed(1)} MB`);
  if (res.warnings > 0) log(`  (render printed ${res.warnings} warning/rejection lines: ${renders[0].stderr.split('\n')[0]})`);
  rmSync(base, { recursive: true, force: true });
  return res;
}

export async function renderBench(log) {
  const sizes = QUICK ? [1000] : [1000, 5000, 10000];
  const rows = [];
  for (const n of sizes) {
    const r = await renderAt(n, QUICK ? 1 : n >= 10000 ? 2 : 3, log);
    rows.push({
      bench: '1. render',
      figure: `render time, N=${n} (nginx.conf ${r.confMB.toFixed(1)} MB)`,
      value: r.renderMs,
      unit: 'ms',
      baselineName: 'nginx -t',
      baseline: r.testMs,
      goal: '≤ 1.0× nginx -t',
      pass: r.renderMs <= r.testMs,
    });
    rows.push({
      bench: '1. render',
      figure: `render peak RSS, N=${n}`,
      value: r.renderRssMB,
      unit: 'MB',
      baselineName: 'nginx -t',
      baseline: r.testRssMB,
      goal: n === 10000 ? '≤ 300 MB' : '—',
      pass: n === 10000 ? r.renderRssMB <= 300 : undefined,
    });
  }
  return rows;
}
