import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startController, type RunningController } from './support/controller.js';
import { simpleIngress } from './support/ingress.js';
import { startBackends, INGRESS_CLASS, serviceFor, type Backends } from './support/scenario.js';

jest.setTimeout(60000);

/** Issue 11, item 11: /debug/config (every tenant's config) is served on loopback unless the operator opens it. */

/** An address of /proc/net/tcp{,6}: hex, each 32-bit word in host (little-endian) order. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  if (words.length === 1) return words[0]!.match(/../g)!.map((b) => parseInt(b, 16)).join('.');
  const groups = words.join('').match(/.{4}/g)!.map((g) => parseInt(g, 16).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** The local addresses of this machine's listening TCP sockets on `port`, as the kernel reports them. */
async function listeningAddresses(port: number): Promise<string[]> {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue;
      const [address, portHex] = local.split(':');
      if (parseInt(portHex!, 16) === port) found.push(decodeAddress(address!));
    }
  }
  return found.sort();
}

describe('portico run: /debug/config on a loopback debug port, probes and metrics on every interface', () => {
  let backends: Backends;
  let ctl: RunningController;

  beforeAll(async () => {
    backends = await startBackends('app');
    ctl = await startController({
      files: { 'class.yaml': [INGRESS_CLASS], 'app.yaml': [simpleIngress('app', 'app.test', [['/', 'app']])], 'endpoints.yaml': serviceFor('default', 'app', [backends.by.app!]) },
    });
    await ctl.waitForBackend('app.test', '/', 'app');
  });

  afterAll(async () => {
    expect(await ctl?.stop()).toBe(0);
    await backends?.stopAll();
  });

  test('the debug server listens on 127.0.0.1 only, and serves the nginx.conf in force there', async () => {
    expect(await listeningAddresses(ctl.debugPort)).toEqual(['127.0.0.1']);
    const conf = await ctl.debug('/debug/config');
    expect(conf.status).toBe(200);
    expect(conf.body).toBe(await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8'));
    expect((await ctl.debug('/metrics')).status).toBe(404);
  });

  test('the metrics port (every interface) answers /healthz, /readyz and /metrics, and 404 for /debug/config', async () => {
    expect(await listeningAddresses(ctl.metricsPort)).toEqual(['0.0.0.0']);
    expect((await ctl.status('/healthz')).status).toBe(200);
    expect((await ctl.status('/readyz')).status).toBe(200);
    expect((await ctl.status('/metrics')).body).toContain('portico_reload_successes_total');
    const debug = await ctl.status('/debug/config');
    expect(debug.status).toBe(404);
    expect(debug.body).not.toContain('upstream');
  });
});

test('--debug-address opens the debug port on the address the operator names', async () => {
  const ctl = await startController({ files: { 'class.yaml': [INGRESS_CLASS] }, args: ['--debug-address', '0.0.0.0'] });
  try {
    expect(await listeningAddresses(ctl.debugPort)).toEqual(['0.0.0.0']);
    expect((await ctl.debug('/debug/config')).body).toContain('http {');
  } finally {
    expect(await ctl.stop()).toBe(0);
  }
});
