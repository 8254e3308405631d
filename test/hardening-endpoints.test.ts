import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execa } from 'execa';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { KubeObject } from '../src/store/types.js';
import { ipv6Available } from '../src/cli/options.js';
import { ensureBuilt, startController, toYaml, type RunningController } from './support/controller.js';
import { request } from './support/http.js';
import { simpleIngress } from './support/ingress.js';
import { startNginx, tempWorkDir, type RunningNginx } from './support/nginx.js';
import { freePort, startEchoBackend, waitFor, type Backend } from './support/processes.js';
import { INGRESS_CLASS, serviceFor } from './support/scenario.js';

jest.setTimeout(90000);

/** Issue 11, items 4, 10 and 13: endpoint addresses (IPv6, zone ids, special addresses) and the endpoint push. */

const CLI = resolve('dist/cli/main.js');

/** A selector-less Service on port 80 and one EndpointSlice of `addressType` holding `addresses` on `port`. */
function sliceService(name: string, addressType: 'IPv4' | 'IPv6', addresses: string[], port: number, sliceName = `${name}-0`): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80 }] } } as KubeObject,
    endpointSlice(name, sliceName, addressType, addresses, port),
  ];
}

function endpointSlice(service: string, name: string, addressType: 'IPv4' | 'IPv6', addresses: string[], port: number): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType,
    ports: [{ port }],
    endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
  } as KubeObject;
}

/** simpleIngress with its one path's Service port set to `port`. */
function withServicePort(ingress: KubeObject, port: number): KubeObject {
  const spec = (ingress as { spec: { rules: Array<{ http: { paths: Array<{ backend: { service: { port: { number: number } } } }> } }> } }).spec;
  spec.rules[0]!.http.paths[0]!.backend.service.port.number = port;
  return ingress;
}

describe('portico render: IPv6 and invalid endpoint addresses', () => {
  let dir: string;
  let v6: Backend;
  let v6b: Backend;
  let v4: Backend;
  let nginx: RunningNginx | undefined;
  let httpPort: number;
  let render: { exitCode?: number; stderr: string };
  let conf: string;

  beforeAll(async () => {
    await ensureBuilt();
    dir = await tempWorkDir('portico-hardening-ep-');
    [v6, v6b, v4] = await Promise.all([startEchoBackend('v6', '::1'), startEchoBackend('v6b', '::1'), startEchoBackend('v4')]);
    httpPort = await freePort();
    const objects: KubeObject[] = [
      INGRESS_CLASS,
      simpleIngress('v6', 'v6.test', [['/', 'v6']]),
      ...sliceService('v6', 'IPv6', ['::1'], v6.port),
      // Dual stack: one IPv4 and one IPv6 slice of the same Service.
      simpleIngress('dual', 'dual.test', [['/', 'dual']]),
      ...sliceService('dual', 'IPv4', ['127.0.0.1'], v4.port),
      endpointSlice('dual', 'dual-1', 'IPv6', ['::1'], v6b.port),
      // A zone id beside a good address, and a slice whose only address is link-local: never a crash.
      simpleIngress('zone', 'zone.test', [['/', 'zone']]),
      ...sliceService('zone', 'IPv6', ['fe80::1%eth0', '::1'], v6.port),
      simpleIngress('linklocal', 'linklocal.test', [['/', 'linklocal']]),
      ...sliceService('linklocal', 'IPv6', ['fe80::1'], v6.port),
      // service-upstream to an IPv6 cluster IP: the Service port is the backend's own (clusterIP:port).
      withServicePort(simpleIngress('cip', 'cip.test', [['/', 'cip']], { annotations: { 'nginx.ingress.kubernetes.io/service-upstream': 'true' } }), v6b.port),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cip', namespace: 'default' }, spec: { clusterIP: '::1', ports: [{ port: v6b.port }] } } as KubeObject,
    ];
    await writeFile(join(dir, 'all.yaml'), toYaml(objects));
    const state = join(dir, 'state');
    const out = await execa('node', [CLI, 'render', '--manifests', join(dir, 'all.yaml'), '--state-dir', state, '--http-port', String(httpPort), '--https-port', String(await freePort()), '--out', join(state, 'nginx.conf')], { reject: false });
    render = { exitCode: out.exitCode, stderr: out.stderr };
    conf = await readFile(join(state, 'nginx.conf'), 'utf8').catch(() => '');
    if (out.exitCode === 0 || out.exitCode === 3) nginx = await startNginx(state, join(state, 'nginx.conf'), httpPort);
  });

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all([v6, v6b, v4].map((b) => b?.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  const get = (host: string) => request({ port: httpPort, host, path: '/' });

  test('render finishes (exit 0: an endpoint left out is a warning), naming the EndpointSlice and the field of each address left out', () => {
    expect(render.stderr).not.toMatch(/RenderError|\n\s+at /);
    expect(render.exitCode).toBe(0);
    expect(render.stderr).toContain('warning: EndpointSlice default/zone-0: endpoints[0].addresses[0]: "fe80::1%eth0": an IPv6 zone id ("%eth0") is not allowed; the endpoint is left out');
    expect(render.stderr).toContain('warning: EndpointSlice default/linklocal-0: endpoints[0].addresses[0]: "fe80::1" is a link-local address');
  });

  test('IPv6 endpoints are written in brackets, and an IPv6-only Service serves traffic', async () => {
    expect(conf).toContain(`server [::1]:${v6.port} max_fails=0;`);
    expect(conf).not.toMatch(/server ::1:/);
    const r = await get('v6.test');
    expect(r.status).toBe(200);
    expect(r.echo?.service).toBe('v6');
    expect(r.echo?.remoteAddress).toBe('::1');
  });

  test('a dual-stack Service balances over its IPv4 and its IPv6 slice', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await get('dual.test')).echo?.service ?? 'none');
    expect([...seen].sort()).toEqual(['v4', 'v6b']);
  });

  test('the slice with a zone id serves from its good address; the link-local-only one answers 503; service-upstream reaches an IPv6 cluster IP', async () => {
    expect((await get('zone.test')).echo?.service).toBe('v6');
    expect((await get('linklocal.test')).status).toBe(503);
    expect(conf).toContain(`server [::1]:${v6b.port} max_fails=0;`);
    expect((await get('cip.test')).echo?.service).toBe('v6b');
  });
});

/** Which backends answered `n` requests on new connections. */
async function answering(ctl: RunningController, host: string, n: number): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await ctl.get(host, '/');
    seen.add(r.status === 200 ? r.echo!.service : `status ${r.status}`);
  }
  return [...seen].sort();
}

describe('portico run --dynamic-endpoints: IPv6 endpoints are pushed, and a slice with a zone id never stops the syncs', () => {
  let ctl: RunningController;
  let backends: Record<string, Backend>;
  const counters = async () => ({
    reloads: await ctl.metric('portico_reload_successes_total'),
    endpointUpdates: await ctl.metric('portico_endpoint_updates_total'),
  });

  beforeAll(async () => {
    const list = await Promise.all([startEchoBackend('six-a', '::1'), startEchoBackend('six-b', '::1'), startEchoBackend('four')]);
    backends = Object.fromEntries(list.map((b) => [b.name, b]));
    ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'six.yaml': [simpleIngress('six', 'six.test', [['/', 'six']])],
        'six-endpoints.yaml': sliceService('six', 'IPv6', ['::1'], backends['six-a']!.port),
        'four.yaml': [simpleIngress('four', 'four.test', [['/', 'four']])],
        'four-endpoints.yaml': serviceFor('default', 'four', [backends.four!]),
      },
      args: ['--dynamic-endpoints'],
    });
    await ctl.waitForBackend('six.test', '/', 'six-a');
  });

  afterAll(async () => {
    const code = await ctl?.stop();
    await Promise.all(Object.values(backends ?? {}).map((b) => b.stop()));
    expect(code).toBe(0);
  });

  test('an IPv6 endpoint change is pushed (no reload) and served', async () => {
    const before = await counters();
    await ctl.writeFile('six-endpoints.yaml', sliceService('six', 'IPv6', ['::1'], backends['six-b']!.port));
    await ctl.waitForBackend('six.test', '/', 'six-b');
    expect(await answering(ctl, 'six.test', 6)).toEqual(['six-b']);
    expect(await counters()).toEqual({ reloads: before.reloads, endpointUpdates: before.endpointUpdates! + 1 });
    expect(await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8')).toContain(`server [::1]:${backends['six-b']!.port} max_fails=0; # dynamic endpoint`);
  });

  test('a slice with a zone id: the controller keeps syncing, and the warning names the slice and field', async () => {
    await ctl.writeFile('zone.yaml', [simpleIngress('zone', 'zone.test', [['/', 'zone']]), ...sliceService('zone', 'IPv6', ['fe80::1%eth0', '::1'], backends['six-b']!.port)]);
    await ctl.waitForBackend('zone.test', '/', 'six-b');
    expect(ctl.logs.some((l) => String(l.message).includes('EndpointSlice default/zone-0: endpoints[0].addresses[0]: "fe80::1%eth0": an IPv6 zone id'))).toBe(true);
    expect(ctl.logs.some((l) => l.message === 'sync crashed')).toBe(false);
    // A later change is applied as usual, and the other Ingresses kept serving.
    await ctl.writeFile('later.yaml', [simpleIngress('later', 'later.test', [['/', 'four']])]);
    await ctl.waitForBackend('later.test', '/', 'four');
    expect((await ctl.get('four.test', '/')).echo?.service).toBe('four');
  });
});

describe('portico run --dynamic-endpoints: the push API cannot be reached or used without the per-start secret', () => {
  let ctl: RunningController;
  let backends: Record<string, Backend>;
  const counters = async () => ({
    reloads: await ctl.metric('portico_reload_successes_total'),
    endpointUpdates: await ctl.metric('portico_endpoint_updates_total'),
  });

  beforeAll(async () => {
    const list = await Promise.all([startEchoBackend('right'), startEchoBackend('other'), startEchoBackend('evil')]);
    backends = Object.fromEntries(list.map((b) => [b.name, b]));
    ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'app.yaml': [simpleIngress('app', 'app.test', [['/', 'app']])],
        'app-endpoints.yaml': serviceFor('default', 'app', [backends.right!]),
      },
      args: ['--dynamic-endpoints'],
    });
    await ctl.waitForBackend('app.test', '/', 'right');
  });

  afterAll(async () => {
    const code = await ctl?.stop();
    await Promise.all(Object.values(backends ?? {}).map((b) => b.stop()));
    expect(code).toBe(0);
  });

  test("an endpoint on the controller's own status port is refused with a reason naming the slice and field; the rest of the Service serves", async () => {
    await ctl.writeFile('app-endpoints.yaml', [
      ...sliceService('app', 'IPv4', ['127.0.0.1'], backends.right!.port, 'app-0'),
      endpointSlice('app', 'app-status', 'IPv4', ['127.0.0.1'], ctl.statusPort),
    ]);
    await waitFor(async () => ctl.logs.some((l) => String(l.message).includes('EndpointSlice default/app-status')), 10000, 'the refused endpoint reported');
    const line = ctl.logs.find((l) => String(l.message).includes('EndpointSlice default/app-status'))!;
    expect(line.message).toContain(`endpoints[0].addresses[0]: "127.0.0.1" port ${ctl.statusPort} is one of the controller's own loopback ports`);
    expect(await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8')).not.toContain(`server 127.0.0.1:${ctl.statusPort} `);
    expect(await answering(ctl, 'app.test', 6)).toEqual(['right']);
    // Through the traffic port, the push API is not reachable: every request goes to the backend.
    const viaTraffic = await request({ port: ctl.httpPort, host: 'app.test', path: '/portico/endpoints', method: 'POST', body: `default.app.80 127.0.0.1:${backends.evil!.port}\n` });
    expect(viaTraffic.echo?.service).toBe('right');
  });

  test('a push without the per-start secret (or with a wrong one) is refused with 403, and upstreams are unchanged', async () => {
    const evil = `default.app.80 127.0.0.1:${backends.evil!.port}\n`;
    const bare = await request({ port: ctl.statusPort, path: '/portico/endpoints', method: 'POST', body: evil });
    expect(bare.status).toBe(403);
    const wrong = await request({ port: ctl.statusPort, path: '/portico/endpoints', method: 'POST', body: evil, headers: { 'x-portico-push-token': 'guess' } });
    expect(wrong.status).toBe(403);
    // Workers read pushed lists every 0.1 s: a push that got through would show by now.
    await new Promise((r) => setTimeout(r, 400));
    expect(await answering(ctl, 'app.test', 6)).toEqual(['right']);
    // nginx.conf (and so /debug/config) holds the secret's digest, not the secret.
    expect(await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8')).toMatch(/require\("portico_endpoints"\)\.update\("[0-9a-f]{40}"\)/);
  });

  test("the controller's own pushes still work", async () => {
    const before = await counters();
    await ctl.writeFile('app-endpoints.yaml', serviceFor('default', 'app', [backends.other!]));
    await ctl.waitForBackend('app.test', '/', 'other');
    expect(await answering(ctl, 'app.test', 6)).toEqual(['other']);
    expect(await counters()).toEqual({ reloads: before.reloads, endpointUpdates: before.endpointUpdates! + 1 });
  });
});

describe('portico render: nginx listens on IPv6 too, as ingress-nginx, unless the ConfigMap says disable-ipv6', () => {
  const started: RunningNginx[] = [];
  let backend: Backend;

  beforeAll(async () => {
    await ensureBuilt();
    backend = await startEchoBackend('app');
  });

  afterAll(async () => {
    await Promise.all(started.map((n) => n.stop()));
    await backend?.stop();
  });

  /** Renders one Ingress (with the ConfigMap data given) and starts nginx on it; returns the traffic port. */
  async function renderAndStart(configMap: Record<string, string>): Promise<{ port: number; conf: string }> {
    const dir = await tempWorkDir('portico-ipv6-listen-');
    const objects: KubeObject[] = [
      INGRESS_CLASS,
      simpleIngress('app', 'app.test', [['/', 'app']]),
      ...sliceService('app', 'IPv4', ['127.0.0.1'], backend.port),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'portico', namespace: 'default' }, data: configMap } as KubeObject,
    ];
    await writeFile(join(dir, 'all.yaml'), toYaml(objects));
    const state = join(dir, 'state');
    const port = await freePort();
    const out = await execa('node', [CLI, 'render', '--manifests', join(dir, 'all.yaml'), '--configmap', 'default/portico', '--state-dir', state, '--http-port', String(port), '--https-port', String(await freePort()), '--out', join(state, 'nginx.conf')]);
    expect(out.exitCode).toBe(0);
    started.push(await startNginx(state, join(state, 'nginx.conf'), port));
    return { port, conf: await readFile(join(state, 'nginx.conf'), 'utf8') };
  }

  test('this machine has IPv6 (the precondition of the next two tests)', () => {
    expect(ipv6Available()).toBe(true);
  });

  test('a client on [::1] is served (an IPv6-only pod receives traffic), and on 127.0.0.1 as before', async () => {
    const { port, conf } = await renderAndStart({});
    expect(conf).toContain(`listen [::]:${port} default_server;`);
    for (const address of ['::1', '127.0.0.1']) {
      const r = await request({ port, host: 'app.test', path: '/x', address });
      expect([address, r.status, r.echo?.service]).toEqual([address, 200, 'app']);
    }
  });

  test('disable-ipv6: "true" listens on IPv4 only: [::1] is refused', async () => {
    const { port, conf } = await renderAndStart({ 'disable-ipv6': 'true' });
    expect(conf).not.toContain('listen [::]');
    expect((await request({ port, host: 'app.test', path: '/x' })).echo?.service).toBe('app');
    await expect(request({ port, host: 'app.test', path: '/x', address: '::1' })).rejects.toThrow(/ECONNREFUSED/);
  });
});
