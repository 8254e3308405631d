import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startController, type RunningController } from './support/controller.js';
import { nginxWrapper } from './support/nginx.js';
import { simpleIngress } from './support/ingress.js';
import { waitFor } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from './support/scenario.js';

jest.setTimeout(60000);

describe('portico run --manifests DIR: traffic follows the files', () => {
  let backends: Backends;
  let ctl: RunningController;

  beforeAll(async () => {
    backends = await startBackends('alpha', 'beta', 'gamma');
    const b = backends.by;
    ctl = await startController({
      files: {
        '00-class.yaml': [INGRESS_CLASS],
        '01-services.yaml': [...serviceFor('default', 'alpha', [b.alpha!]), ...serviceFor('default', 'beta', [b.beta!]), ...serviceFor('default', 'gamma', [b.gamma!])],
      },
    });
  });

  afterAll(async () => {
    const code = await ctl?.stop();
    await backends?.stopAll();
    expect(code).toBe(0);
  });

  test('adding, changing and deleting an Ingress file routes, reroutes and unroutes the host', async () => {
    expect((await ctl.get('app.test', '/')).status).toBe(404);

    await ctl.writeFile('app.yaml', [simpleIngress('app', 'app.test', [['/', 'alpha']])]);
    const first = await ctl.waitForBackend('app.test', '/hello', 'alpha');
    expect(first.echo?.path).toBe('/hello');

    await ctl.writeFile('app.yaml', [simpleIngress('app', 'app.test', [['/', 'beta']])]);
    await ctl.waitForBackend('app.test', '/hello', 'beta');

    await ctl.removeFile('app.yaml');
    await ctl.waitForBackend('app.test', '/hello', null, 404);
  });

  test('a burst of 100 file changes costs only a few reloads, and the last version wins', async () => {
    await ctl.writeFile('burst.yaml', [simpleIngress('burst', 'burst.test', [['/start', 'alpha']])]);
    await ctl.waitForBackend('burst.test', '/start', 'alpha');
    const before = (await ctl.metric('portico_reload_successes_total'))!;
    const attemptsBefore = (await ctl.metric('portico_reload_attempts_total'))!;
    const t0 = Date.now();
    for (let i = 0; i < 100; i++) {
      await ctl.writeFile('burst.yaml', [simpleIngress('burst', 'burst.test', [[`/v${i}`, i % 2 ? 'beta' : 'gamma']])]);
      await new Promise((r) => setTimeout(r, 5));
    }
    const burstMs = Date.now() - t0;
    const last = await ctl.waitForBackend('burst.test', '/v99', 'beta');
    expect(last.echo?.path).toBe('/v99');
    // Let any trailing sync finish before counting.
    await new Promise((r) => setTimeout(r, 800));
    expect((await ctl.get('burst.test', '/v98')).status).toBe(404);
    const reloads = (await ctl.metric('portico_reload_successes_total'))! - before;
    const attempts = (await ctl.metric('portico_reload_attempts_total'))! - attemptsBefore;
    expect(reloads).toBeGreaterThanOrEqual(1);
    // A sync at most every 10 debounce periods (500 ms here) while events keep coming, plus the last one.
    expect(reloads).toBeLessThanOrEqual(Math.max(4, Math.ceil(burstMs / 500) + 2));
    expect(reloads).toBeLessThanOrEqual(10);
    expect(attempts).toBe(reloads);
  });

  test('an invalid Ingress among good ones is reported while the good ones keep updating', async () => {
    const rejectedBefore = (await ctl.metric('portico_ingresses_rejected'))!;
    await ctl.writeFile('good.yaml', [simpleIngress('good', 'good.test', [['/', 'alpha']])]);
    await ctl.writeFile('bad.yaml', [simpleIngress('bad', 'bad.test', [['/', 'alpha']], { annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'maybe' } })]);
    await ctl.waitForBackend('good.test', '/', 'alpha');
    await waitFor(async () => (await ctl.metric('portico_ingresses_rejected')) === rejectedBefore + 1, 5000, 'rejected metric');
    const line = ctl.logs.find((l) => String(l.message).startsWith('rejected Ingress default/bad'));
    expect(line).toMatchObject({ level: 'warn', ingress: 'default/bad', field: 'metadata.annotations[nginx.ingress.kubernetes.io/use-regex]' });
    expect((await ctl.get('bad.test', '/')).status).toBe(404);

    // The good one still follows its file.
    await ctl.writeFile('good.yaml', [simpleIngress('good', 'good.test', [['/', 'gamma']])]);
    await ctl.waitForBackend('good.test', '/', 'gamma');
    await ctl.removeFile('bad.yaml');
    await waitFor(async () => (await ctl.metric('portico_ingresses_rejected')) === rejectedBefore, 5000, 'rejection cleared');
  });

  test('an Ingress whose new version is invalid keeps serving its last accepted version', async () => {
    await ctl.writeFile('evolving.yaml', [simpleIngress('evolving', 'evolving.test', [['/', 'alpha']], { uid: 'u-1' })]);
    await ctl.waitForBackend('evolving.test', '/x', 'alpha');

    // New version: points at beta, but with an invalid annotation → rejected; the old version keeps serving.
    await ctl.writeFile('evolving.yaml', [
      simpleIngress('evolving', 'evolving.test', [['/', 'beta']], { uid: 'u-1', annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'perhaps' } }),
    ]);
    await waitFor(async () => ctl.logs.some((l) => String(l.message).startsWith('rejected Ingress default/evolving')), 5000, 'rejection logged');
    const rejection = ctl.logs.find((l) => String(l.message).startsWith('rejected Ingress default/evolving'))!;
    expect(rejection.keepsServing).toBe('last accepted version');
    // Another change elsewhere forces a reload: still the old version.
    await ctl.writeFile('other.yaml', [simpleIngress('other', 'other.test', [['/', 'gamma']])]);
    await ctl.waitForBackend('other.test', '/', 'gamma');
    expect((await ctl.get('evolving.test', '/x')).echo?.service).toBe('alpha');
    expect(await ctl.metric('portico_ingresses_rejected')).toBeGreaterThanOrEqual(1);

    // Fixed: the new version takes over.
    await ctl.writeFile('evolving.yaml', [simpleIngress('evolving', 'evolving.test', [['/', 'beta']], { uid: 'u-1' })]);
    await ctl.waitForBackend('evolving.test', '/x', 'beta');

    // Deleted and re-created (new uid) invalid: nothing to fall back to.
    await ctl.removeFile('evolving.yaml');
    await ctl.waitForBackend('evolving.test', '/x', null, 404);
    await ctl.writeFile('evolving.yaml', [
      simpleIngress('evolving', 'evolving.test', [['/', 'beta']], { uid: 'u-2', annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'perhaps' } }),
    ]);
    await ctl.writeFile('other.yaml', [simpleIngress('other', 'other.test', [['/', 'alpha']])]);
    await ctl.waitForBackend('other.test', '/', 'alpha');
    expect((await ctl.get('evolving.test', '/x')).status).toBe(404);
  });

  test('a file that fails to parse is reported and its last good objects stay', async () => {
    await ctl.writeFile('parse.yaml', [simpleIngress('parse', 'parse.test', [['/', 'alpha']])]);
    await ctl.waitForBackend('parse.test', '/', 'alpha');
    const errorsBefore = (await ctl.metric('portico_manifest_errors_total'))!;
    await ctl.writeFile('parse.yaml', 'kind: Ingress\nmetadata: {name: [unclosed\n');
    await waitFor(async () => (await ctl.metric('portico_manifest_errors_total')) === errorsBefore + 1, 5000, 'manifest error metric');
    const logged = ctl.logs.find((l) => l.message === 'manifest file not applied; its last good objects stay' && String(l.file).endsWith('parse.yaml'));
    expect(logged).toMatchObject({ level: 'error', kept: 1 });
    // Something else changes: the file's objects are still routed.
    await ctl.writeFile('other.yaml', [simpleIngress('other', 'other.test', [['/', 'beta']])]);
    await ctl.waitForBackend('other.test', '/', 'beta');
    expect((await ctl.get('parse.test', '/')).echo?.service).toBe('alpha');
  });

  test('/healthz, /readyz, /metrics and /debug/config answer with what they should', async () => {
    expect((await ctl.status('/healthz')).status).toBe(200);
    expect((await ctl.status('/readyz')).status).toBe(200);
    expect((await ctl.status('/nope')).status).toBe(404);

    const conf = await ctl.debug('/debug/config');
    expect(conf.status).toBe(200);
    expect(conf.headers['content-type']).toMatch(/^text\/plain/);
    expect(conf.body).toBe(await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8'));
    expect(conf.body).toContain(`listen 127.0.0.1:${ctl.statusPort};`);

    // nginx's own counters come through stub_status.
    const requestsBefore = (await ctl.metric('portico_nginx_requests_total'))!;
    for (let i = 0; i < 5; i++) await ctl.get('good.test', '/');
    const requestsAfter = (await ctl.metric('portico_nginx_requests_total'))!;
    expect(requestsAfter - requestsBefore).toBeGreaterThanOrEqual(5);
    expect(await ctl.metric('portico_nginx_connections', { state: 'active' })).toBeGreaterThanOrEqual(1);
    expect(await ctl.metric('portico_nginx_up')).toBe(1);

    const metrics = (await ctl.status('/metrics')).body;
    const hash = /portico_config_info\{hash="([0-9a-f]{64})"\} 1/.exec(metrics)?.[1];
    const { createHash } = await import('node:crypto');
    expect(hash).toBe(createHash('sha256').update(conf.body).digest('hex'));
    expect(await ctl.metric('portico_last_reload_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(await ctl.metric('portico_ingresses_owned')).toBeGreaterThanOrEqual(3);
    expect(await ctl.metric('portico_sync_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(await ctl.metric('portico_reload_failures_total')).toBe(0);

    // The stub_status server listens on loopback only and is not reachable through the traffic port.
    expect((await ctl.get('portico-status', '/nginx_status')).status).toBe(404);
  });
});

test('before the first config: /readyz 503, /debug/config 404, /healthz 200; then ready', async () => {
  // An nginx whose config check takes 2.5 s (as at tens of thousands of Ingresses) holds the first sync back.
  const slowNginx = await nginxWrapper('case " $* " in *" -t "*) sleep 2.5;; esac');
  const ctl = await startController({ files: { 'class.yaml': [INGRESS_CLASS] }, args: ['--nginx-binary', slowNginx], noWaitReady: true });
  try {
    expect((await ctl.status('/readyz')).status).toBe(503);
    expect((await ctl.debug('/debug/config')).status).toBe(404);
    expect((await ctl.status('/healthz')).status).toBe(200);
    await waitFor(async () => (await ctl.status('/readyz')).status === 200, 15000, 'ready');
    expect((await ctl.debug('/debug/config')).body).toContain('http {');
  } finally {
    expect(await ctl.stop()).toBe(0);
  }
});

test('/readyz waits until nginx has loaded its config, not only until the process exists', async () => {
  // An nginx that takes 2.5 s to load its config before it writes its pid file and serves (as at 10,000 Ingresses).
  const slowNginx = await nginxWrapper('case " $* " in *" -t "*) ;; *) sleep 2.5;; esac');
  const ctl = await startController({ files: { 'class.yaml': [INGRESS_CLASS] }, args: ['--nginx-binary', slowNginx], noWaitReady: true });
  try {
    await waitFor(async () => ctl.logs.some((l) => l.message === 'nginx started'), 15000, 'nginx spawned');
    expect((await ctl.status('/readyz')).status).toBe(503);
    await waitFor(async () => (await ctl.status('/readyz')).status === 200, 15000, 'ready');
    // Ready means serving: the catch-all answers at once.
    expect((await ctl.get('nobody.test', '/')).status).toBe(404);
  } finally {
    expect(await ctl.stop()).toBe(0);
  }
});
