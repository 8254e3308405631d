// Graceful shutdown: SIGTERM while slow requests are in flight (echo backend delays of 0.5 to 3 s on
import { processAlive } from '../../src/apply/nginx-process.js';
// many connections): every one completes with 200 from the right backend, the controller exits 0
// after the slowest one, and no nginx process is left.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startController } from '../support/controller.js';
import { simpleIngress } from '../support/ingress.js';
import { reliabilityLine } from '../support/load.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from '../support/scenario.js';

jest.setTimeout(60000);


describe('graceful shutdown', () => {
  let backends: Backends;

  beforeAll(async () => {
    backends = await startBackends('slow', 'fast');
  });
  afterAll(async () => {
    await backends?.stopAll();
  });

  test('SIGTERM: all in-flight slow requests complete with 200, exit 0, nginx gone', async () => {
    const ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'services.yaml': [...serviceFor('default', 'slow', [backends.by.slow!]), ...serviceFor('default', 'fast', [backends.by.fast!])],
        'app.yaml': [simpleIngress('app', 'app.test', [['/slow', 'slow'], ['/fast', 'fast']])],
      },
    });
    const master = Number((await readFile(join(ctl.stateDir, 'nginx.pid'), 'utf8')).trim());
    const workers = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).map(Number);
    await ctl.waitForBackend('app.test', '/slow', 'slow');
    await ctl.waitForBackend('app.test', '/fast', 'fast');

    const IN_FLIGHT = 24;
    const delays = Array.from({ length: IN_FLIGHT }, (_, i) => 500 + Math.round((i * 2500) / (IN_FLIGHT - 1)));
    const started = delays.map((delay, i) => ctl.get('app.test', `/slow/${i}`, { headers: { 'x-echo-delay-ms': String(delay) } }));
    // All are at the backend before the signal.
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    ctl.child.kill('SIGTERM');
    const settled = await Promise.allSettled(started);
    const lastReplyMs = Date.now() - t0;
    const code = await ctl.exited;
    const exitMs = Date.now() - t0;

    const completed = settled.filter((s, i) => s.status === 'fulfilled' && s.value.status === 200 && s.value.echo?.path === `/slow/${i}`).length;
    const failed = settled.filter((s) => s.status === 'rejected').length;
    const leftovers = (await execa('pgrep', ['-f', `nginx: .*${ctl.stateDir}`], { reject: false })).stdout.split('\n').filter(Boolean);
    reliabilityLine('graceful shutdown', {
      inFlight: IN_FLIGHT,
      completed200: completed,
      failed,
      slowestDelayMs: Math.max(...delays),
      lastReplyAfterSigtermMs: lastReplyMs,
      exitAfterSigtermMs: exitMs,
      exitCode: String(code),
      nginxLeft: leftovers.length,
    });
    expect(completed).toBe(IN_FLIGHT);
    expect(code).toBe(0);
    // It waited for the slowest request (3 s after it started, about 2.7 s after the signal).
    expect(exitMs).toBeGreaterThanOrEqual(2400);
    expect(processAlive(master)).toBe(false);
    for (const w of workers) expect(processAlive(w)).toBe(false);
    expect(leftovers).toEqual([]);
    // Nothing listens any more.
    await expect(ctl.get('app.test', '/fast')).rejects.toThrow();
    await ctl.stop();
  });
});
