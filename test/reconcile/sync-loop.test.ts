// The sync loop in process: the real scheduler, reconciler, plan and templates over fake nginx, state
// files, endpoint push and clock (fakes.ts). What the process-level tests in test/run-*.test.ts showed
// by spawning `portico run` and sleeping is shown here by moving the fake clock.
import { afterEach, describe, expect, test } from '@jest/globals';
import { loadTemplateSources } from '../../src/render/templates.js';
import { RETIRED_FILES_GRACE_MS } from '../../src/reconcile/sync-loop.js';
import { startLoop, type HarnessOptions, type LoopHarness } from './fakes.js';
import { ingress, service } from './objects.js';

const running: LoopHarness[] = [];

async function loop(opts: HarnessOptions = {}): Promise<LoopHarness> {
  const h = await startLoop(opts);
  running.push(h);
  await h.clock.advance(0); // the first sync, once the source is synced
  return h;
}

afterEach(async () => {
  for (const h of running.splice(0)) await h.loop.stop();
});

const lastConfig = (h: LoopHarness): string => h.nginx.written.at(-1) ?? '';

describe('when the loop syncs', () => {
  test('the first change after a quiet period is synced at once; changes right after it are coalesced into one sync', async () => {
    const h = await loop({ debounceMs: 100, minReloadIntervalMs: 0 });
    expect(h.outcomes).toHaveLength(1);
    await h.clock.advance(5000);

    h.source.set(ingress('a'), ...service(1));
    await h.clock.advance(0);
    expect(h.outcomes).toHaveLength(2);
    expect(lastConfig(h)).toContain('a.test');

    // Three more changes 30 ms apart: one sync, 100 ms after the last of them, with all three in it.
    for (const name of ['b', 'c', 'd']) {
      h.source.set(ingress(name));
      await h.clock.advance(30);
    }
    expect(h.outcomes).toHaveLength(2);
    await h.clock.advance(69);
    expect(h.outcomes).toHaveLength(2);
    await h.clock.advance(1);
    expect(h.outcomes).toHaveLength(3);
    expect(h.nginx.reloads).toBe(3);
    for (const host of ['b.test', 'c.test', 'd.test']) expect(lastConfig(h)).toContain(host);
  });

  test('a stream of changes is not postponed for ever: one sync every 10 debounce periods at most', async () => {
    const h = await loop({ debounceMs: 100, minReloadIntervalMs: 0 });
    await h.clock.advance(5000);
    const start = h.clock.now();
    // 60 changes 50 ms apart: a pure trailing debounce would sync only after the last one. Here the first
    // syncs at once, the next ones 1000 ms (10 debounce periods) after the first change each sync waits
    // for, and the last 100 ms after the end of the stream.
    for (let i = 0; i < 60; i++) {
      h.source.set(ingress(`i${i}`));
      await h.clock.advance(50);
    }
    await h.clock.advance(1000);
    expect(h.syncTimes.slice(1).map((t) => t - start)).toEqual([0, 1050, 2050, 3050]);
    expect(lastConfig(h)).toContain('i59.test');
  });

  test('--min-reload-interval: a change soon after a reload waits until the interval has passed since it', async () => {
    const h = await loop({ debounceMs: 100, minReloadIntervalMs: 1000 });
    const reloadedAt = h.clock.now();
    await h.clock.advance(200);
    h.source.set(ingress('a'), ...service(1));
    await h.clock.advance(799);
    expect(h.nginx.reloads).toBe(1);
    await h.clock.advance(1);
    expect(h.nginx.reloads).toBe(2);
    expect(h.syncTimes.at(-1)! - reloadedAt).toBe(1000);
  });

  test('changes during a sync make exactly one more sync after it, with all of them', async () => {
    const h = await loop({ debounceMs: 100, minReloadIntervalMs: 0 });
    await h.clock.advance(5000);
    let release!: () => void;
    h.nginx.gate = new Promise<void>((r) => (release = r));
    h.source.set(ingress('a'), ...service(1));
    await h.clock.advance(0); // the sync of `a` now waits in nginx -t
    for (const name of ['b', 'c', 'd']) {
      h.source.set(ingress(name));
      await h.clock.advance(500);
    }
    expect(h.outcomes).toHaveLength(1);
    h.nginx.gate = undefined;
    release();
    // The changes came more than a debounce period ago: the sync after it starts at once.
    await h.clock.advance(0);
    expect(h.outcomes).toHaveLength(3);
    expect(h.log.lines.filter((l) => l.message === 'change').at(-1)?.fields).toEqual({ reason: 'changes during the last sync' });
    for (const host of ['a.test', 'b.test', 'c.test', 'd.test']) expect(lastConfig(h)).toContain(host);
    await h.clock.advance(5000);
    expect(h.outcomes).toHaveLength(3);
  });

  test('nothing is rendered while the source is not synced (a relist); the sync comes once it is', async () => {
    const h = await loop();
    await h.clock.advance(5000);
    h.source.synced = false;
    h.source.set(ingress('a'), ...service(1));
    await h.clock.advance(5000);
    expect(h.outcomes).toHaveLength(1);
    h.source.synced = true;
    h.source.event('listed Ingress');
    await h.clock.advance(0);
    expect(h.outcomes).toHaveLength(2);
    expect(lastConfig(h)).toContain('a.test');
  });

  test('an event that changes nothing costs no nginx -t and no reload', async () => {
    const h = await loop();
    h.source.set(ingress('a'), ...service(1));
    await h.clock.advance(2000);
    const { checks, reloads } = h.nginx;
    h.source.event('resync of an unchanged object');
    await h.clock.advance(2000);
    expect(h.outcomes.at(-1)).toMatchObject({ result: 'unchanged', reloaded: false });
    expect(h.nginx.checks).toBe(checks);
    expect(h.nginx.reloads).toBe(reloads);
  });

  test('SIGHUP (resync) re-reads the source and reloads even if nothing changed', async () => {
    const h = await loop();
    await h.clock.advance(2000);
    await h.loop.resync('SIGHUP');
    await h.clock.advance(0);
    expect(h.source.resyncs).toBe(1);
    expect(h.nginx.reloads).toBe(2);
    expect(h.outcomes.at(-1)).toMatchObject({ result: 'applied', reloaded: true });
  });

  test('the files the config in force no longer uses are removed RETIRED_FILES_GRACE_MS after its reload', async () => {
    const h = await loop();
    await h.clock.advance(RETIRED_FILES_GRACE_MS - 1);
    expect(h.cleanups).toHaveLength(0);
    await h.clock.advance(1);
    expect(h.cleanups).toHaveLength(1);
    expect(h.cleanups[0]).toBe(h.outcomes[0]!.report!.model);
  });
});

describe('a sync that fails', () => {
  test('a state dir that cannot be written is retried after 1 s, then 2 s, without an event; success resets the backoff', async () => {
    const h = await startLoop();
    running.push(h);
    h.nginx.failWrites = 2;
    await h.clock.advance(0);
    expect(h.outcomes[0]).toMatchObject({ result: 'failed', retry: 'write' });
    const retries = () => h.log.lines.filter((l) => l.message.startsWith('the sync could not complete'));
    expect(retries()[0]).toEqual({ level: 'warn', message: 'the sync could not complete (state directory not writable, or nginx -t timed out); retrying', fields: { inMs: 1000 } });
    await h.clock.advance(1000);
    expect(h.outcomes).toHaveLength(2);
    expect(retries()[1]!.fields).toEqual({ inMs: 2000 });
    await h.clock.advance(1999);
    expect(h.outcomes).toHaveLength(2);
    await h.clock.advance(1);
    expect(h.outcomes.at(-1)).toMatchObject({ result: 'applied' });
    expect(h.nginx.reloads).toBe(1);
    expect(h.loop.configInForce).toBe(lastConfig(h));

    h.nginx.failWrites = 1;
    h.source.set(ingress('a'), ...service(1));
    await h.clock.advance(1000);
    expect(retries()[2]!.fields).toEqual({ inMs: 1000 });
  });

  test('a reload that does not take is retried; the file is in place, so the loop counts as ready', async () => {
    const h = await startLoop();
    running.push(h);
    h.nginx.failReloads = 1;
    await h.clock.advance(0);
    expect(h.outcomes[0]).toMatchObject({ result: 'failed', retry: 'reload', reloaded: false });
    expect(h.log.messages('error')).toContain('config not applied; the last good config keeps serving');
    expect(h.log.messages('warn')).toContain('the sync could not complete (the reload did not take); retrying');
    expect(h.loop.ready).toBe(true);
    await h.clock.advance(1000);
    expect(h.nginx.reloads).toBe(1);
    expect(h.outcomes.at(-1)).toMatchObject({ result: 'applied', reloaded: true });
  });

  test('nginx -t refusing a new version of an Ingress: the last accepted version keeps serving', async () => {
    const h = await loop();
    h.source.set(ingress('a', '/good'), ingress('b'), ...service(1));
    await h.clock.advance(2000);
    h.nginx.refused = ['/bad'];
    h.source.set(ingress('a', '/bad'));
    await h.clock.advance(2000);
    const outcome = h.outcomes.at(-1)!;
    expect(outcome.substituted).toEqual(['default/a']);
    expect(outcome.report!.excluded.map((r) => r.ingress.name)).toEqual(['a']);
    expect(lastConfig(h)).toContain('/good');
    expect(lastConfig(h)).not.toContain('/bad');
    const line = h.log.lines.find((l) => l.message.startsWith('rejected Ingress default/a:'));
    expect(line?.fields).toMatchObject({ ingress: 'default/a', excluded: true, keepsServing: 'last accepted version' });
  });

  test('an Ingress nginx -t refuses with no earlier version is left out; the others are applied', async () => {
    const h = await loop();
    h.nginx.refused = ['/bad'];
    h.source.set(ingress('a', '/bad'), ingress('b'), ...service(1));
    await h.clock.advance(2000);
    const outcome = h.outcomes.at(-1)!;
    expect(outcome).toMatchObject({ result: 'applied', substituted: [] });
    expect(outcome.report!.excluded.map((r) => r.ingress.name)).toEqual(['a']);
    expect(lastConfig(h)).toContain('b.test');
    expect(lastConfig(h)).not.toContain('a.test');
  });
});

describe('endpoint changes with dynamic endpoints', () => {
  const dynamic: HarnessOptions = { modelOptions: { dynamicEndpoints: true, statusPort: 10246 } };

  test('a change of endpoints only is pushed without a reload; any other change reloads', async () => {
    const h = await loop(dynamic);
    h.source.set(ingress('a'), ...service(1));
    await h.clock.advance(2000);
    expect(h.nginx.reloads).toBe(2);
    // Before the reload, nginx got the lists of the config it loads.
    expect(h.pushes.at(-1)).toEqual([[expect.any(String), '127.0.0.1:8080']]);
    const checks = h.nginx.checks;

    h.source.set(...service(1, 2));
    await h.clock.advance(2000);
    expect(h.nginx.reloads).toBe(2);
    expect(h.nginx.checks).toBe(checks);
    expect(h.pushes.at(-1)).toEqual([[expect.any(String), '127.0.0.1:8080 127.0.0.2:8080']]);
    expect(h.metrics.endpointUpdates.n).toBe(1);
    expect(h.outcomes.at(-1)).toMatchObject({ result: 'applied', reloaded: false, report: { reloaded: false } });
    expect(h.log.messages('info')).toContain('endpoints updated without a reload');
    expect(lastConfig(h)).toContain('127.0.0.2:8080');

    h.source.set(ingress('b'));
    await h.clock.advance(2000);
    expect(h.nginx.reloads).toBe(3);
    expect(h.outcomes.at(-1)).toMatchObject({ result: 'applied', reloaded: true });
  });

  test('a push nginx does not take turns into a reload', async () => {
    const h = await loop(dynamic);
    h.source.set(ingress('a'), ...service(1));
    await h.clock.advance(2000);
    h.pushFails.n = 1;
    h.source.set(...service(3));
    await h.clock.advance(2000);
    expect(h.log.messages('warn')).toContain('endpoints could not be updated without a reload; reloading instead');
    expect(h.nginx.reloads).toBe(3);
    expect(h.metrics.endpointUpdates.n).toBe(0);
  });

  test('after nginx restarted, the next sync reloads even an unchanged config (its pushed lists are gone)', async () => {
    const h = await loop(dynamic);
    h.source.set(ingress('a'), ...service(1));
    await h.clock.advance(2000);
    h.loop.nginxRestarted();
    await h.clock.advance(2000);
    expect(h.nginx.reloads).toBe(3);
  });

  test('without dynamic endpoints, an endpoint change reloads', async () => {
    const h = await loop();
    h.source.set(ingress('a'), ...service(1));
    await h.clock.advance(2000);
    h.source.set(...service(1, 2));
    await h.clock.advance(2000);
    expect(h.nginx.reloads).toBe(3);
    expect(h.pushes).toHaveLength(0);
    h.loop.nginxRestarted();
    await h.clock.advance(2000);
    expect(h.nginx.reloads).toBe(3);
  });
});

describe('templates from --template-dir', () => {
  const main = async (): Promise<string> => (await loadTemplateSources()).get('nginx.conf')!;

  test('templates that fail to render are refused: the last good templates and config stay', async () => {
    const h = await loop({ templateSources: new Map() });
    const before = lastConfig(h);
    h.templates.sources = new Map([['nginx.conf', `${await main()}\n{{no-such-helper servers}}\n`]]);
    h.templateEvent();
    await h.clock.advance(100);
    expect(h.log.messages('error')).toContain('templates not loaded; the last good templates and config stay');
    expect(h.metrics.templateErrors.n).toBe(1);
    h.source.set(ingress('a'), ...service(1));
    await h.clock.advance(2000);
    expect(lastConfig(h)).not.toBe(before);
    expect(lastConfig(h)).toContain('a.test');
  });

  test('new templates are used after a change of the files (debounced)', async () => {
    const h = await loop({ templateSources: new Map() });
    await h.clock.advance(2000);
    h.templates.sources = new Map([['nginx.conf', `${await main()}\n# edited template\n`]]);
    h.templateEvent();
    await h.clock.advance(50);
    h.templateEvent();
    await h.clock.advance(99);
    expect(h.log.messages('info')).not.toContain('templates reloaded');
    await h.clock.advance(1);
    expect(h.log.messages('info')).toContain('templates reloaded');
    await h.clock.advance(0);
    expect(lastConfig(h)).toContain('# edited template');
  });

  test('templates that make nginx -t fail even without Ingresses: the last good templates render instead', async () => {
    const h = await loop({ templateSources: new Map() });
    h.source.set(ingress('a'), ...service(1));
    await h.clock.advance(2000);
    const good = lastConfig(h);
    h.nginx.refused = ['refused by nginx'];
    h.templates.sources = new Map([['nginx.conf', `${await main()}\n# refused by nginx\n`]]);
    h.templateEvent();
    await h.clock.advance(2000);
    expect(h.log.messages('error')).toContain('the current templates fail; rendering with the last good templates');
    expect(h.metrics.templateErrors.n).toBe(1);
    expect(h.outcomes.at(-1)).toMatchObject({ result: 'unchanged' });
    expect(lastConfig(h)).toBe(good);
  });
});
