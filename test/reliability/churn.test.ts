// Churn under load: keep-alive clients on stable routes while other Ingresses' files change
// continuously (hosts and paths added, moved, removed, including paths on a host shared with a stable
// route), so nginx reloads again and again. Not one stable request may fail or answer non-2xx.
// RELIABILITY_CHURN_SECONDS sets the churn time (default 120).
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { startController, type RunningController } from '../support/controller.js';
import { simpleIngress } from '../support/ingress.js';
import { loadFigures, reliabilityLine, startLoad, type LoadTarget } from '../support/load.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from '../support/scenario.js';

const SECONDS = Number(process.env.RELIABILITY_CHURN_SECONDS ?? 120);
const CHURN_FILES = 12;
jest.setTimeout((SECONDS + 90) * 1000);

describe('churn under load (directory mode)', () => {
  let backends: Backends;
  let ctl: RunningController;

  beforeAll(async () => {
    backends = await startBackends('stable1', 'stable2', 'churn1', 'churn2');
    const b = backends.by;
    ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'services.yaml': [
          ...serviceFor('default', 'stable1', [b.stable1!]),
          ...serviceFor('default', 'stable2', [b.stable2!]),
          ...serviceFor('default', 'churn1', [b.churn1!]),
          ...serviceFor('default', 'churn2', [b.churn2!]),
        ],
        'stable.yaml': [
          simpleIngress('stable-a', 'stable-a.test', [['/', 'stable1']]),
          simpleIngress('stable-b', 'stable-b.test', [['/api', 'stable2'], ['/web', 'stable1']]),
          // A host that churning Ingresses add paths to as well.
          simpleIngress('stable-shared', 'shared.test', [['/stable', 'stable2']]),
        ],
      },
    });
  });

  afterAll(async () => {
    expect(await ctl?.stop()).toBe(0);
    await backends?.stopAll();
  });

  test(`${SECONDS} s of Ingress churn: zero failed and zero non-2xx requests on the stable routes`, async () => {
    const targets: LoadTarget[] = [
      { host: 'stable-a.test', path: '/', service: 'stable1' },
      { host: 'stable-a.test', path: '/deep/path?q=1', service: 'stable1' },
      { host: 'stable-b.test', path: '/api/items', service: 'stable2' },
      { host: 'stable-b.test', path: '/web', service: 'stable1' },
      { host: 'shared.test', path: '/stable/x', service: 'stable2' },
    ];
    for (const t of targets) await ctl.waitForBackend(t.host, t.path, t.service!);
    const reloadsBefore = (await ctl.metric('portico_reload_successes_total'))!;
    const failuresBefore = (await ctl.metric('portico_reload_failures_total'))!;

    const load = startLoad({ port: ctl.httpPort, targets, concurrency: 8 });
    const deadline = Date.now() + SECONDS * 1000;
    let writes = 0;
    let deletes = 0;
    let round = 0;
    // The files as they are at the end, to check afterwards that the churn was applied.
    const present = new Map<number, { host: string; path: string; service: string }>();
    while (Date.now() < deadline) {
      const i = round % CHURN_FILES;
      const name = `churn-${i}.yaml`;
      if (round % 7 === 3 && present.has(i)) {
        await ctl.removeFile(name);
        present.delete(i);
        deletes++;
      } else {
        const service = round % 2 ? 'churn1' : 'churn2';
        // Every third one puts a path on the shared host; the others move between hosts.
        const host = i % 3 === 0 ? 'shared.test' : `churn-${i}-${round % 5}.test`;
        const path = `/c${i}/r${round}`;
        await ctl.writeFile(name, [simpleIngress(`churn-${i}`, host, [[path, service], [`/c${i}/fixed`, service]])]);
        present.set(i, { host, path, service });
        writes++;
      }
      round++;
      await new Promise((r) => setTimeout(r, 60 + (round % 5) * 20));
    }
    // The last state of every churn file is served (so the churn really reached nginx).
    for (const [, p] of present) await ctl.waitForBackend(p.host, p.path, p.service, 200, 15000);
    const result = await load.stop();
    const reloads = (await ctl.metric('portico_reload_successes_total'))! - reloadsBefore;
    const reloadFailures = (await ctl.metric('portico_reload_failures_total'))! - failuresBefore;

    reliabilityLine('churn under load', {
      seconds: SECONDS,
      clients: 8,
      ...loadFigures(result),
      fileWrites: writes,
      fileDeletes: deletes,
      reloads,
      reloadFailures,
    });
    if (result.failures.length) process.stdout.write(`first failures: ${JSON.stringify(result.failures)}\n`);
    expect(reloads).toBeGreaterThan(0);
    expect(reloadFailures).toBe(0);
    expect(result.sent).toBeGreaterThan(SECONDS * 50);
    expect(result.errors).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result.wrongBackend).toBe(0);
    expect(result.ok).toBe(result.sent);
  });
});
