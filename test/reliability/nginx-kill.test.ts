// The nginx master killed with SIGKILL under load: the controller kills the orphaned workers (they
import { processAlive } from '../../src/apply/nginx-process.js';
// hold the ports), starts a new master on the same nginx.conf within seconds, and every route answers
// again with the same config. Requests during the gap fail (nothing listens): the figures say how many.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startController, type RunningController } from '../support/controller.js';
import { simpleIngress } from '../support/ingress.js';
import { loadFigures, reliabilityLine, startLoad, type LoadTarget } from '../support/load.js';
import { waitFor } from '../support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from '../support/scenario.js';

jest.setTimeout(90000);

const INGRESSES = 30;


describe('nginx master SIGKILL', () => {
  let backends: Backends;
  let ctl: RunningController;
  const names = ['one', 'two'];

  beforeAll(async () => {
    backends = await startBackends(...names);
    ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'services.yaml': names.flatMap((n) => serviceFor('default', n, [backends.by[n]!])),
        'many.yaml': Array.from({ length: INGRESSES }, (_, i) => simpleIngress(`app-${i}`, `app-${i}.test`, [[`/p${i}`, names[i % 2]!]])),
      },
    });
  });

  afterAll(async () => {
    expect(await ctl?.stop()).toBe(0);
    await backends?.stopAll();
  });

  test('the controller restarts nginx within seconds with the config intact, three times in a row', async () => {
    const targets: LoadTarget[] = Array.from({ length: INGRESSES }, (_, i) => ({ host: `app-${i}.test`, path: `/p${i}`, service: names[i % 2]! }));
    for (const t of targets) await ctl.waitForBackend(t.host, t.path, t.service!);
    const conf = await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8');
    const hash = /portico_config_info\{hash="([0-9a-f]+)"\}/.exec((await ctl.status('/metrics')).body)?.[1];
    const load = startLoad({ port: ctl.httpPort, targets, concurrency: 4 });
    const gaps: number[] = [];
    const KILLS = 3;
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 1500));
      const pid = Number((await readFile(join(ctl.stateDir, 'nginx.pid'), 'utf8')).trim());
      const workers = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
      process.kill(pid, 'SIGKILL');
      const t0 = Date.now();
      // Back: every route answers from a new master.
      await waitFor(async () => {
        const now = Number((await readFile(join(ctl.stateDir, 'nginx.pid'), 'utf8')).trim());
        return now !== pid && processAlive(now);
      }, 10000, 'a new master');
      for (const t of targets) await ctl.waitForBackend(t.host, t.path, t.service!, 200, 10000);
      gaps.push(Date.now() - t0);
      // The old master's workers did not linger.
      for (const w of workers) expect(processAlive(w)).toBe(false);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const result = await load.stop();
    expect(await ctl.metric('portico_nginx_restarts_total')).toBe(KILLS);
    expect(await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8')).toBe(conf);
    expect((await ctl.status('/metrics')).body).toContain(`portico_config_info{hash="${hash}"} 1`);
    await waitFor(async () => (await ctl.status('/healthz')).status === 200, 5000, 'healthy');
    reliabilityLine('nginx master SIGKILL', {
      faultsInjected: KILLS,
      ingresses: INGRESSES,
      ...loadFigures(result),
      restarts: KILLS,
      maxRecoveryMs: Math.max(...gaps),
      recoveryMs: gaps.join('/'),
      errorKinds: Object.entries(result.errorKinds).map(([k, v]) => `${k}:${v}`).join(',') || 'none',
    });
    // Connection errors while nothing listened (refused) or when the workers were killed (reset).
    // A reset can also cut a response whose headers had arrived when the workers died ("response: ...").
    for (const kind of Object.keys(result.errorKinds)) expect(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']).toContain(kind.replace(/^response: /, ''));
    // Recovery within seconds (first restart after 200 ms backoff, then 400, 800).
    expect(Math.max(...gaps)).toBeLessThan(5000);
    // Nothing wrong was ever served: failures are connection errors during the gaps only.
    expect(result.non2xx).toBe(0);
    expect(result.wrongBackend).toBe(0);
    expect(result.ok).toBeGreaterThan(1000);
  });
});
