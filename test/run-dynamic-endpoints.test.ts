import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultTemplateDir } from '../src/render/templates.js';
import { startController, type RunningController } from './support/controller.js';
import { simpleIngress } from './support/ingress.js';
import { waitFor } from './support/processes.js';
import { templateCopy } from './support/templates.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from './support/scenario.js';

jest.setTimeout(60000);

/** Which backends answered `n` requests on new connections. */
async function answering(ctl: RunningController, host: string, n: number): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await ctl.get(host, '/');
    seen.add(r.status === 200 ? r.echo!.service : `status ${r.status}`);
  }
  return [...seen].sort();
}

describe('portico run --dynamic-endpoints: endpoint changes without a reload', () => {
  let backends: Backends;
  let ctl: RunningController;
  const counters = async () => ({
    reloads: await ctl.metric('portico_reload_successes_total'),
    endpointUpdates: await ctl.metric('portico_endpoint_updates_total'),
  });

  beforeAll(async () => {
    backends = await startBackends('alpha', 'beta', 'gamma');
    ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'app.yaml': [simpleIngress('app', 'dyn.test', [['/', 'app']])],
        'endpoints.yaml': serviceFor('default', 'app', [backends.by.alpha!]),
      },
      args: ['--dynamic-endpoints'],
    });
    await ctl.waitForBackend('dyn.test', '/', 'alpha');
  });

  afterAll(async () => {
    const code = await ctl?.stop();
    await backends?.stopAll();
    expect(code).toBe(0);
  });

  test('a new endpoint set is served with no reload, and written to nginx.conf for the next start', async () => {
    const before = await counters();
    await ctl.writeFile('endpoints.yaml', serviceFor('default', 'app', [backends.by.beta!]));
    await ctl.waitForBackend('dyn.test', '/', 'beta');
    expect(await answering(ctl, 'dyn.test', 6)).toEqual(['beta']);
    expect(await counters()).toEqual({ reloads: before.reloads, endpointUpdates: before.endpointUpdates! + 1 });
    const conf = await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8');
    expect(conf).toContain(`server 127.0.0.1:${backends.by.beta!.port} max_fails=0; # dynamic endpoint`);
    expect(conf).not.toContain(`server 127.0.0.1:${backends.by.alpha!.port} `);
    expect(ctl.logs.some((l) => l.message === 'endpoints updated without a reload')).toBe(true);
  });

  test('several endpoints are balanced round robin; a dead one is retried on the next', async () => {
    const before = await counters();
    await ctl.writeFile('endpoints.yaml', serviceFor('default', 'app', [backends.by.alpha!, backends.by.beta!, backends.by.gamma!]));
    await ctl.waitForBackend('dyn.test', '/', 'gamma');
    expect(await answering(ctl, 'dyn.test', 12)).toEqual(['alpha', 'beta', 'gamma']);
    expect((await counters()).reloads).toBe(before.reloads);

    // gamma goes away before its EndpointSlice does: requests that pick it are retried on another endpoint.
    await backends.by.gamma!.stop();
    expect(await answering(ctl, 'dyn.test', 12)).toEqual(['alpha', 'beta']);
  });

  test('a change beyond endpoints reloads, and the reloaded config keeps the latest endpoints', async () => {
    await ctl.writeFile('endpoints.yaml', serviceFor('default', 'app', [backends.by.beta!]));
    await ctl.waitForBackend('dyn.test', '/', 'beta');
    // beta alone: the round robin of the previous test answers beta too before the file is read.
    await waitFor(async () => (await answering(ctl, 'dyn.test', 6)).join() === 'beta', 10000, 'beta alone answers');
    const before = await counters();
    await ctl.writeFile('other.yaml', [simpleIngress('other', 'other.test', [['/', 'app']])]);
    await ctl.waitForBackend('other.test', '/', 'beta');
    // Counted once nginx runs workers on the new config: those may answer a moment before the count.
    await waitFor(async () => (await counters()).reloads === before.reloads! + 1, 5000, 'one reload counted');
    expect(await answering(ctl, 'dyn.test', 6)).toEqual(['beta']);
    // Workers the reload retired may still take a connection for a moment (and know no other.test).
    await waitFor(async () => (await answering(ctl, 'other.test', 6)).join() === 'beta', 5000, 'other.test from the new workers only');
    expect(await answering(ctl, 'other.test', 6)).toEqual(['beta']);
  });

  test('no endpoints left: 503 through a reload; endpoints back: served again', async () => {
    await ctl.writeFile('endpoints.yaml', serviceFor('default', 'app', []));
    await ctl.waitForBackend('dyn.test', '/', null, 503);
    await ctl.writeFile('endpoints.yaml', serviceFor('default', 'app', [backends.by.alpha!]));
    await ctl.waitForBackend('dyn.test', '/', 'alpha');
  });

  test('nginx killed after a push comes back with the pushed endpoints, and the controller re-applies its config', async () => {
    await ctl.writeFile('endpoints.yaml', serviceFor('default', 'app', [backends.by.beta!]));
    await ctl.waitForBackend('dyn.test', '/', 'beta');
    const before = { restarts: (await ctl.metric('portico_nginx_restarts_total'))!, reloads: (await ctl.metric('portico_reload_successes_total'))! };
    process.kill(Number((await readFile(join(ctl.stateDir, 'nginx.pid'), 'utf8')).trim()), 'SIGKILL');
    await waitFor(async () => (await ctl.metric('portico_nginx_restarts_total')) === before.restarts + 1, 15000, 'nginx restarted');
    await waitFor(async () => (await ctl.metric('portico_reload_successes_total')) === before.reloads + 1, 15000, 'config re-applied');
    expect(await answering(ctl, 'dyn.test', 6)).toEqual(['beta']);
    // And endpoint changes go on without reloads.
    await ctl.writeFile('endpoints.yaml', serviceFor('default', 'app', [backends.by.alpha!]));
    await ctl.waitForBackend('dyn.test', '/', 'alpha');
    expect(await ctl.metric('portico_reload_successes_total')).toBe(before.reloads + 1);
  });

  test('the push endpoint answers on loopback only, not through the traffic port', async () => {
    expect((await ctl.get('portico-status', '/portico/endpoints')).status).toBe(404);
  });
});

test('a push nginx refuses falls back to a reload, and the new endpoints are served', async () => {
  const backends = await startBackends('alpha', 'beta');
  // Templates whose status server has no push location: every push is answered 404.
  const status = await readFile(join(defaultTemplateDir(), 'status.hbs'), 'utf8');
  const templates = await templateCopy({ 'status.hbs': status.replace('location = /portico/endpoints', 'location = /portico/elsewhere') });
  const ctl = await startController({
    files: {
      'class.yaml': [INGRESS_CLASS],
      'app.yaml': [simpleIngress('app', 'refused.test', [['/', 'app']])],
      'endpoints.yaml': serviceFor('default', 'app', [backends.by.alpha!]),
    },
    args: ['--dynamic-endpoints'],
    templateDir: templates,
  });
  try {
    await ctl.waitForBackend('refused.test', '/', 'alpha');
    const reloads = (await ctl.metric('portico_reload_successes_total'))!;
    await ctl.writeFile('endpoints.yaml', serviceFor('default', 'app', [backends.by.beta!]));
    await ctl.waitForBackend('refused.test', '/', 'beta');
    await waitFor(async () => (await ctl.metric('portico_reload_successes_total')) === reloads + 1, 5000, 'one reload counted');
    expect(await ctl.metric('portico_endpoint_updates_total')).toBe(0);
    expect(ctl.logs.find((l) => l.message === 'endpoints could not be updated without a reload; reloading instead')?.error).toMatch(/HTTP 404/);
  } finally {
    expect(await ctl.stop()).toBe(0);
    await backends.stopAll();
  }
});

describe('portico run without --dynamic-endpoints (the default)', () => {
  test('an endpoint change reloads nginx, and the config has no Lua', async () => {
    const backends = await startBackends('alpha', 'beta');
    const ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'app.yaml': [simpleIngress('app', 'static.test', [['/', 'app']])],
        'endpoints.yaml': serviceFor('default', 'app', [backends.by.alpha!]),
      },
    });
    try {
      await ctl.waitForBackend('static.test', '/', 'alpha');
      const reloads = (await ctl.metric('portico_reload_successes_total'))!;
      await ctl.writeFile('endpoints.yaml', serviceFor('default', 'app', [backends.by.beta!]));
      await ctl.waitForBackend('static.test', '/', 'beta');
      await waitFor(async () => (await ctl.metric('portico_reload_successes_total')) === reloads + 1, 5000, 'one reload counted');
      const conf = await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8');
      expect(conf).not.toMatch(/lua|dynamic endpoint/);
    } finally {
      expect(await ctl.stop()).toBe(0);
      await backends.stopAll();
    }
  });
});
