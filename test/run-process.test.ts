import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startController, type RunningController } from './support/controller.js';
import { simpleIngress } from './support/ingress.js';
import { waitFor } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from './support/scenario.js';

jest.setTimeout(60000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function masterPid(ctl: RunningController): Promise<number> {
  return Number((await readFile(join(ctl.stateDir, 'nginx.pid'), 'utf8')).trim());
}

describe('portico run supervises nginx', () => {
  let backends: Backends;

  beforeAll(async () => {
    backends = await startBackends('slow', 'app');
  });
  afterAll(async () => {
    await backends?.stopAll();
  });

  const files = () => ({
    'class.yaml': [INGRESS_CLASS],
    'services.yaml': [...serviceFor('default', 'slow', [backends.by.slow!]), ...serviceFor('default', 'app', [backends.by.app!])],
    'ingress.yaml': [simpleIngress('app', 'app.test', [['/', 'app'], ['/slow', 'slow']])],
  });

  test('nginx killed with SIGKILL is restarted and serves again', async () => {
    const ctl = await startController({ files: files() });
    try {
      await ctl.waitForBackend('app.test', '/', 'app');
      const pid = await masterPid(ctl);
      process.kill(pid, 'SIGKILL');
      // Health reports it while it is down or soon after; then a new master serves the same config.
      await waitFor(async () => (await ctl.metric('portico_nginx_restarts_total')) === 1, 10000, 'restart counted');
      await ctl.waitForBackend('app.test', '/', 'app');
      const newPid = await masterPid(ctl);
      expect(newPid).not.toBe(pid);
      expect(alive(newPid)).toBe(true);
      await waitFor(async () => (await ctl.status('/healthz')).status === 200, 5000, 'healthy again');
      // And it still follows changes.
      await ctl.writeFile('ingress.yaml', [simpleIngress('app', 'app.test', [['/', 'slow']])]);
      await ctl.waitForBackend('app.test', '/', 'slow');
    } finally {
      expect(await ctl.stop()).toBe(0);
    }
  });

  test('SIGTERM during slow requests: every in-flight request completes, nginx quits, the controller exits 0', async () => {
    const ctl = await startController({ files: files() });
    const pid = await masterPid(ctl);
    await ctl.waitForBackend('app.test', '/slow', 'slow');
    const inFlight = Array.from({ length: 5 }, (_, i) => ctl.get('app.test', `/slow/${i}`, { headers: { 'x-echo-delay-ms': '1500' } }));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    ctl.child.kill('SIGTERM');
    const replies = await Promise.all(inFlight);
    for (const [i, r] of replies.entries()) {
      expect(r.status).toBe(200);
      expect(r.echo?.service).toBe('slow');
      expect(r.echo?.path).toBe(`/slow/${i}`);
    }
    expect(await ctl.exited).toBe(0);
    // It waited for the requests (about 1.2 s more), and left no nginx behind.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(alive(pid)).toBe(false);
    await expect(ctl.get('app.test', '/')).rejects.toThrow();
    await ctl.stop();
  });

  test('nginx that keeps dying (5 times within a minute) makes the controller exit non-zero', async () => {
    const ctl = await startController({ files: files() });
    let previous = 0;
    for (let kills = 0; kills < 5; kills++) {
      let pid = 0;
      await waitFor(async () => {
        pid = await masterPid(ctl);
        return pid !== previous && alive(pid);
      }, 15000, `nginx master #${kills + 1}`);
      process.kill(pid, 'SIGKILL');
      previous = pid;
    }
    expect(await ctl.exited).toBe(1);
    expect(ctl.logs.some((l) => l.message === 'nginx cannot be kept up; exiting')).toBe(true);
    expect(await ctl.metric('portico_nginx_restarts_total').catch(() => 'closed')).toBe('closed');
    await ctl.stop();
  });
});
