import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { KubeObject } from '../src/store/types.js';
import { ensureBuilt, startController, toYaml, type RunningController } from './support/controller.js';
import { simpleIngress } from './support/ingress.js';
import { tempWorkDir } from './support/nginx.js';
import { waitFor } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

/**
 * Issue 11, item 18: an annotation that protects traffic and that Portico does not enforce must never be
 * ignored (served without the protection): the Ingress is rejected as a whole, naming the annotation.
 * Its off value asks for nothing and is ignored with the usual warning. Item 15 (part): the keys Portico
 * ignores are one warning per Ingress, not one per key.
 */
jest.setTimeout(60000);

const PREFIX = 'nginx.ingress.kubernetes.io';
const NOT_ENFORCED = 'is not enforced by Portico; the Ingress is not served rather than served without it';

const MISSING_CA = 'Secret default/client-ca not found; the Ingress is not served without its client-certificate check';

/**
 * One protection each that Portico does not enforce, with a value that asks for it. (auth-tls-* and
 * proxy-ssl-* are enforced now: test/compat/annotations-authtls.test.ts, annotations-proxyssl.test.ts; a
 * missing CA Secret still fails closed, below. ModSecurity's own keys are enforced by features/modsecurity.ts.)
 */
const ASKING: Array<[string, string, Record<string, string>?]> = [
  // A modsecurity-* key Portico does not know.
  ['modsecurity-audit-log', '/var/log/modsec_audit.log'],
  ['auth-snippet', 'proxy_set_header X-Tenant a;'],
  ['global-rate-limit', '100'],
];

const annotated = (name: string, host: string, annotations: Record<string, string>) =>
  simpleIngress(name, host, [['/', 'app']], { annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`${PREFIX}/${k}`, v])) });

const hostOf = (key: string) => `${key}.closed.test`;

function manifests(backends: Backends): KubeObject[] {
  return [
    INGRESS_CLASS,
    ...serviceFor('default', 'app', [backends.by.app!]),
    ...ASKING.map(([key, value, needs]) => annotated(key, hostOf(key), { ...needs, [key]: value })),
    annotated('mtls', 'mtls.closed.test', { 'auth-tls-secret': 'default/client-ca', 'auth-tls-verify-client': 'on', 'auth-tls-verify-depth': '1' }),
    annotated('off', 'off.closed.test', {
      'auth-tls-verify-client': 'off',
      'proxy-ssl-verify': 'off',
      'auth-tls-pass-certificate-to-upstream': 'false',
    }),
    // Without auth-tls-secret / proxy-ssl-secret ingress-nginx applies neither family: nothing is asked for.
    annotated('no-secret', 'no-secret.closed.test', { 'auth-tls-verify-client': 'on', 'auth-tls-verify-depth': '2', 'proxy-ssl-verify': 'on' }),
    // The scenario has no ModSecurity module (ModelOptions.modsecurityModule unset), as a machine without it.
    annotated('waf', 'waf.closed.test', { 'enable-modsecurity': 'true', 'modsecurity-snippet': 'SecRuleEngine On' }),
    annotated('legacy', 'legacy.closed.test', { 'enable-opentelemetry': 'true', 'mirror-target': 'http://mirror.test/', 'limit-whitelist': '10.0.0.0/8' }),
  ];
}

describe('protections Portico does not enforce fail closed (real nginx)', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('app');
    s = await startScenario(manifests(backends));
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  const rejectionsOf = (name: string) => s.model.rejections.filter((r) => r.ingress.name === name).map((r) => `${r.field}: ${r.reason}`);

  test.each(ASKING)('%s: %s rejects the Ingress as a whole, naming the annotation; its host is not routed', async (key) => {
    expect((await s.get(hostOf(key), '/')).status).toBe(404);
    expect((await s.getTls(hostOf(key), '/')).status).toBe(404);
    const [line, ...more] = rejectionsOf(key);
    expect(more).toEqual([]);
    // The field is the first key asking for a protection; the others are listed after it.
    const [first, ...others] = [key, ...Object.keys(ASKING.find(([k]) => k === key)![2] ?? {})].sort() as [string, ...string[]];
    const also = others.length === 0 ? '' : ` \\(also set: ${others.join(', ')}\\)`;
    expect(line).toMatch(new RegExp(`^metadata\\.annotations\\[${PREFIX.replace(/\./g, '\\.')}/${first}\\]: .* ${NOT_ENFORCED}${also}$`));
    expect(s.model.rejections.find((r) => r.ingress.name === key)?.whole).toBe(true);
  });

  test('an Ingress asking for client certificates with a CA Secret that does not exist is not served; the reason names the Secret', async () => {
    expect((await s.getTls('mtls.closed.test', '/')).status).toBe(404);
    expect(rejectionsOf('mtls')).toEqual([
      `metadata.annotations[${PREFIX}/auth-tls-secret]: ${MISSING_CA}`,
    ]);
  });

  test('auth-tls-* and proxy-ssl-* without their Secret annotation ask for nothing (ingress-nginx applies neither): served, with the warning', async () => {
    const r = await s.get('no-secret.closed.test', '/x');
    expect([r.status, r.echo?.service]).toEqual([200, 'app']);
    expect(rejectionsOf('no-secret')).toEqual([]);
    expect(s.model.warnings.filter((w) => w.ingress?.name === 'no-secret').map((w) => w.message)).toEqual([
      'auth-tls-verify-client, auth-tls-verify-depth: ignored without auth-tls-secret, as in ingress-nginx',
      'proxy-ssl-verify is ignored without proxy-ssl-secret, as in ingress-nginx',
    ]);
  });

  test('off values ask for no protection: served, with one warning listing the ignored keys', async () => {
    const r = await s.get('off.closed.test', '/x');
    expect([r.status, r.echo?.service]).toEqual([200, 'app']);
    expect(rejectionsOf('off')).toEqual([]);
    expect(s.model.warnings.filter((w) => w.ingress?.name === 'off').map((w) => w.message)).toEqual([
      'auth-tls-verify-client, auth-tls-pass-certificate-to-upstream: ignored without auth-tls-secret, as in ingress-nginx',
      'proxy-ssl-verify is ignored without proxy-ssl-secret, as in ingress-nginx',
    ]);
  });

  test('enable-modsecurity without the ModSecurity module installed rejects the Ingress with the reason; nginx still starts', async () => {
    expect((await s.get('waf.closed.test', '/')).status).toBe(404);
    expect(rejectionsOf('waf')).toEqual([
      `metadata.annotations[${PREFIX}/enable-modsecurity]: the ModSecurity module is not installed (Debian package libnginx-mod-http-modsecurity); the Ingress is not served rather than served without it`,
    ]);
    expect(s.conf).not.toMatch(/modsecurity/i);
  });

  test('unsupported keys that protect nothing are one warning per Ingress, keys sorted', async () => {
    expect((await s.get('legacy.closed.test', '/')).status).toBe(200);
    expect(s.model.warnings.filter((w) => w.ingress?.name === 'legacy').map((w) => w.message)).toEqual([
      `annotations ${PREFIX}/enable-opentelemetry, ${PREFIX}/limit-whitelist, ${PREFIX}/mirror-target are not supported by Portico and are ignored`,
    ]);
  });
});

describe('portico render: the same on stderr', () => {
  let backends: Backends;
  beforeAll(async () => {
    backends = await startBackends('app');
    await ensureBuilt();
  });
  afterAll(async () => backends?.stopAll());

  test('one rejection line naming the annotation, one warning line per Ingress, exit 3', async () => {
    const dir = await tempWorkDir('portico-closed-');
    await writeFile(join(dir, 'all.yaml'), toYaml(manifests(backends)));
    const r = await execa('node', [resolve('dist/cli/main.js'), 'render', '--manifests', dir, '--state-dir', join(dir, 'state'), '--out', join(dir, 'state', 'nginx.conf')], { reject: false });
    expect(r.exitCode).toBe(3);
    const lines = r.stderr.split('\n');
    expect(lines.filter((l) => l.startsWith('rejected Ingress default/mtls:'))).toEqual([
      `rejected Ingress default/mtls: metadata.annotations[${PREFIX}/auth-tls-secret]: ${MISSING_CA}`,
    ]);
    expect(lines.filter((l) => l.startsWith('warning: Ingress default/legacy:'))).toEqual([
      `warning: Ingress default/legacy: annotations ${PREFIX}/enable-opentelemetry, ${PREFIX}/limit-whitelist, ${PREFIX}/mirror-target are not supported by Portico and are ignored`,
    ]);
    expect(lines.filter((l) => l.startsWith('warning: Ingress default/mtls:'))).toEqual([]);
  });
});

describe('portico run: a served Ingress that adds an unenforced protection', () => {
  let backends: Backends;
  let ctl: RunningController;

  beforeAll(async () => {
    backends = await startBackends('alpha', 'beta');
    ctl = await startController({
      files: {
        '00-class.yaml': [INGRESS_CLASS],
        '01-services.yaml': [...serviceFor('default', 'alpha', [backends.by.alpha!]), ...serviceFor('default', 'beta', [backends.by.beta!])],
        'guarded.yaml': [simpleIngress('guarded', 'guarded.test', [['/', 'alpha']], { uid: 'uid-guarded' })],
      },
    });
  });

  afterAll(async () => {
    const code = await ctl?.stop();
    await backends?.stopAll();
    expect(code).toBe(0);
  });

  test('keeps its last accepted version serving (the new one is rejected and logged); a new one asking for it is never served', async () => {
    await ctl.waitForBackend('guarded.test', '/', 'alpha');
    const guardedTls = { [`${PREFIX}/auth-tls-secret`]: 'default/client-ca', [`${PREFIX}/enable-opentelemetry`]: 'true', [`${PREFIX}/mirror-target`]: 'http://m.test/' };
    await ctl.writeFile('guarded.yaml', [simpleIngress('guarded', 'guarded.test', [['/', 'beta']], { uid: 'uid-guarded', annotations: guardedTls })]);
    await ctl.writeFile('fresh.yaml', [simpleIngress('fresh', 'fresh.test', [['/', 'beta']], { uid: 'uid-fresh', annotations: { [`${PREFIX}/proxy-ssl-secret`]: 'default/backend-client', [`${PREFIX}/proxy-ssl-verify`]: 'on' } })]);
    const rejected = (name: string) => ctl.logs.find((l) => String(l.message).startsWith(`rejected Ingress default/${name}:`));
    await waitFor(async () => Boolean(rejected('guarded') && rejected('fresh')), 15000, 'rejections logged');
    expect(rejected('guarded')).toMatchObject({
      field: `metadata.annotations[${PREFIX}/auth-tls-secret]`,
      // auth-tls is enforced, but its CA Secret does not exist: the protection cannot be applied, so fail closed.
      reason: MISSING_CA,
      keepsServing: 'last accepted version',
    });
    expect(rejected('fresh')?.field).toBe(`metadata.annotations[${PREFIX}/proxy-ssl-secret]`);
    // proxy-ssl-* is enforced (features/proxy-ssl.ts): a Secret that does not exist fails closed, named.
    expect(rejected('fresh')?.reason).toMatch(/^Secret default\/backend-client: not found; /);
    // The project's rule: the last accepted version (same uid, without the annotation) keeps serving.
    expect((await ctl.get('guarded.test', '/')).echo?.service).toBe('alpha');
    expect((await ctl.get('fresh.test', '/')).status).toBe(404);
  });

  test('the keys it ignores are one warning line per Ingress in the log, keys sorted', async () => {
    const ignored = { [`${PREFIX}/mirror-target`]: 'http://m.test/', [`${PREFIX}/enable-opentelemetry`]: 'true', [`${PREFIX}/limit-whitelist`]: '10.0.0.0/8' };
    await ctl.writeFile('legacy.yaml', [simpleIngress('legacy', 'legacy.test', [['/', 'alpha']], { uid: 'uid-legacy', annotations: ignored })]);
    await ctl.waitForBackend('legacy.test', '/', 'alpha');
    expect(ctl.logs.filter((l) => String(l.message).startsWith('warning: Ingress default/legacy:')).map((l) => l.message)).toEqual([
      `warning: Ingress default/legacy: annotations ${PREFIX}/enable-opentelemetry, ${PREFIX}/limit-whitelist, ${PREFIX}/mirror-target are not supported by Portico and are ignored`,
    ]);
  });
});
