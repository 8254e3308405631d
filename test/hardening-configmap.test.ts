// ConfigMap values that pass a syntax check but that nginx -t refuses (issue 11, item 6): the key is
// ignored with a reason naming the ConfigMap and the key, its default is used, the other keys apply, the
// Ingresses serve, and a controller started with the bad value in place starts nginx.
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execa } from 'execa';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { KubeObject } from '../src/store/types.js';
import { ensureBuilt, startController, toYaml, type RunningController } from './support/controller.js';
import { simpleIngress } from './support/ingress.js';
import { nginxTest, tempWorkDir } from './support/nginx.js';
import { waitFor } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from './support/scenario.js';
import { templateCopy } from './support/templates.js';

jest.setTimeout(120000);

const configMap = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data }) as KubeObject;

/** Each bad value, and what nginx.conf holds instead (the key's default). */
const BAD_VALUES: Array<[string, string, string]> = [
  ['proxy-buffers-number', '2', 'proxy_buffers 4 4k;'],
  // A typo in every name of the list: OpenSSL matches no cipher.
  ['ssl-ciphers', 'ECDHE-RSA-AES128-GCM-SHA265:ECDHE-RSA-AES256-GCM-SHA348', 'ssl_ciphers "ECDHE-ECDSA-AES128-GCM-SHA256:'],
  ['proxy-buffer-size', '2048m', 'proxy_buffer_size 4k;'],
];

describe('portico render with a ConfigMap value nginx refuses', () => {
  let base: string;
  beforeAll(() => ensureBuilt());
  afterEach(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  test.each(BAD_VALUES)('%s: %s is a warning naming the ConfigMap and the key, and the config passes nginx -t', async (key, value, fallback) => {
    base = await tempWorkDir('portico-cm-render-');
    await mkdir(join(base, 'in'));
    await writeFile(join(base, 'in', 'all.yaml'), toYaml([INGRESS_CLASS, configMap({ [key]: value, 'proxy-read-timeout': '42' }), simpleIngress('app', 'app.test', [['/', 'alpha']])]));
    const out = join(base, 'nginx.conf');
    const stateDir = join(base, 'state');
    const r = await execa('node', [resolve('dist/cli/main.js'), 'render', '--manifests', join(base, 'in'), '--configmap', 'default/cfg', '--state-dir', stateDir, '--out', out], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^warning: ConfigMap default/cfg: ${key}: .*the default is kept$`, 'm'));
    const conf = await readFile(out, 'utf8');
    expect(conf).toContain(fallback);
    expect(conf).toContain('proxy_read_timeout 42s;');
    await nginxTest(stateDir, out);
  });
});

describe.each(BAD_VALUES)('portico run with ConfigMap %s: %s', (key, value, fallback) => {
  let backends: Backends;
  let ctl: RunningController;

  beforeAll(async () => {
    backends = await startBackends('alpha', 'beta');
    const b = backends.by;
    // Started with the bad value already in the ConfigMap: a controller restarted after the edit.
    ctl = await startController({
      args: ['--configmap', 'default/cfg'],
      files: {
        '00-class.yaml': [INGRESS_CLASS],
        '01-services.yaml': [...serviceFor('default', 'alpha', [b.alpha!]), ...serviceFor('default', 'beta', [b.beta!])],
        '02-config.yaml': [configMap({ [key]: value, 'server-tokens': 'true' })],
        'app.yaml': [simpleIngress('app', 'app.test', [['/', 'alpha']])],
      },
    });
  });

  afterAll(async () => {
    const code = await ctl?.stop();
    await backends?.stopAll();
    expect(code).toBe(0);
  });

  test('nginx starts and serves, the bad key is reported and its default used, the other keys apply; later changes still apply', async () => {
    const reply = await ctl.waitForBackend('app.test', '/', 'alpha');
    // server-tokens: "true" applied: nginx names its version.
    expect(reply.headers.server).toMatch(/^nginx\/\d/);
    const warning = ctl.logs.find((l) => l.level === 'warn' && l.object === 'ConfigMap default/cfg' && String(l.message).includes(`${key}:`));
    expect(warning).toBeDefined();
    const conf = await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8');
    expect(conf).toContain(fallback);
    expect(conf).toContain('server_tokens on;');

    // The sync is not frozen: a new Ingress and another ConfigMap key apply, the bad key stays ignored.
    await ctl.writeFile('02-config.yaml', [configMap({ [key]: value, 'server-tokens': 'false' })]);
    await ctl.writeFile('later.yaml', [simpleIngress('later', 'later.test', [['/', 'beta']])]);
    await ctl.waitForBackend('later.test', '/', 'beta');
    // "false": no version; with Debian's headers-more module (install-deps.sh installs it) no Server header at all.
    await waitFor(async () => [undefined, 'nginx'].includes((await ctl.get('app.test', '/')).headers.server as string | undefined), 10000, 'server-tokens off applied');
    expect(await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8')).toContain(fallback);
  });
});

describe('portico run: a ConfigMap value every validator passes but nginx -t refuses (the bisection behind the validators)', () => {
  let backends: Backends;
  let ctl: RunningController;
  let templateDir: string;

  beforeAll(async () => {
    backends = await startBackends('alpha');
    // A customised template that hands upstream-keepalive-connections to a directive refusing 0
    // (open_file_cache max=0): Portico's validator allows 0 for the key's own directive.
    const conf = await readFile(resolve('templates/nginx.conf.hbs'), 'utf8');
    templateDir = await templateCopy({
      'nginx.conf.hbs': conf.replace('    sendfile on;\n', '    sendfile on;\n    open_file_cache max={{int model.config.upstreamKeepaliveConnections}};\n'),
    });
    ctl = await startController({
      templateDir,
      args: ['--configmap', 'default/cfg'],
      files: {
        '00-class.yaml': [INGRESS_CLASS],
        '01-services.yaml': serviceFor('default', 'alpha', [backends.by.alpha!]),
        '02-config.yaml': [configMap({ 'upstream-keepalive-connections': '0', 'server-tokens': 'true', 'proxy-read-timeout': '42' })],
        'app.yaml': [simpleIngress('app', 'app.test', [['/', 'alpha']])],
      },
    });
  });

  afterAll(async () => {
    const code = await ctl?.stop();
    await backends?.stopAll();
    await rm(templateDir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  test('the key is found, ignored with nginx\'s reason and its default used; the other keys and the Ingresses apply', async () => {
    const reply = await ctl.waitForBackend('app.test', '/', 'alpha');
    expect(reply.headers.server).toMatch(/^nginx\/\d/);
    const conf = await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8');
    expect(conf).toContain('open_file_cache max=320;');
    expect(conf).toContain('proxy_read_timeout 42s;');
    const warning = ctl.logs.find((l) => l.level === 'warn' && l.object === 'ConfigMap default/cfg' && String(l.message).includes('upstream-keepalive-connections: nginx -t refuses this value'));
    expect(warning?.message).toContain('invalid "open_file_cache" parameter "max=0"');
    expect(warning?.message).not.toMatch(/\.nginx\.conf\.check/);

    // Later syncs leave the key out at once: an Ingress change costs one nginx -t, and is applied.
    await ctl.writeFile('later.yaml', [simpleIngress('later', 'later.test', [['/', 'alpha']])]);
    await ctl.waitForBackend('later.test', '/', 'alpha');
    const checks = ctl.logs.filter((l) => l.message === 'config applied').map((l) => l.checks);
    expect(checks[checks.length - 1]).toBe(1);
  });
});
