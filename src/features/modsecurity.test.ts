import { describe, expect, test } from '@jest/globals';
import { DEFAULT_GLOBAL_CONFIG } from './registry.js';
import { modsecurityFeature, type ModsecurityGlobals } from './modsecurity.js';
import { parseFamily } from '../../test/support/annotation-input.js';
import { DEFAULT_MODEL_OPTIONS, type ModelOptions, type StateFile } from '../model/types.js';

const INSTALLED: Partial<ModelOptions> = { modsecurityModule: '/m/ngx_http_modsecurity_module.so', coreRuleSet: ['/crs/crs-setup.conf', '/crs/rules/REQUEST-941.conf'] };

function parse(annotations: Record<string, string>, options: Partial<ModelOptions> = INSTALLED, globals: Partial<ModsecurityGlobals> = {}) {
  const files: StateFile[] = [];
  const config = { ...DEFAULT_GLOBAL_CONFIG, modsecurity: { ...DEFAULT_GLOBAL_CONFIG.modsecurity, ...globals } };
  const out = parseFamily(modsecurityFeature, annotations, {
    ref: { namespace: 'shop', name: 'web' },
    options: { ...DEFAULT_MODEL_OPTIONS, stateDir: '/state', ...options },
    config,
    addFile: (f: StateFile) => files.push(f),
  });
  return { ...out, files };
}

describe('modsecurity annotations', () => {
  test('enable-modsecurity: on with the recommended configuration (detection only)', () => {
    const r = parse({ 'enable-modsecurity': 'true' });
    expect(r.result).toEqual({ off: false, on: true, rulesFiles: [expect.stringMatching(/^\/state\/modsecurity\/recommended\.[0-9a-f]{16}\.conf$/)], transactionId: undefined });
  });

  test('a snippet replaces the recommended configuration and is a state file; the Core Rule Set comes after it', () => {
    const r = parse({ 'enable-modsecurity': 'true', 'enable-owasp-core-rules': 'true', 'modsecurity-snippet': 'SecRuleEngine On' });
    expect(r.files).toEqual([expect.objectContaining({ path: expect.stringMatching(/^modsecurity\/shop_web\.[0-9a-f]{16}\.conf$/), content: expect.stringContaining('\nSecRuleEngine On\n') })]);
    expect(r.result?.rulesFiles).toEqual([`/state/${r.files[0]!.path}`, expect.stringMatching(/\/owasp-crs\.[0-9a-f]{16}\.conf$/)]);
  });

  test('nothing without enable-modsecurity, with a warning for the keys that then do nothing', () => {
    const r = parse({ 'modsecurity-snippet': 'SecRuleEngine On', 'enable-owasp-core-rules': 'true' });
    expect(r.result).toEqual({ off: false, on: false, rulesFiles: [], transactionId: undefined });
    expect(r.warnings).toEqual(['modsecurity-snippet, enable-owasp-core-rules have no effect without enable-modsecurity "true" (annotation or ConfigMap)']);
  });

  test('a module or rule set missing at run time rejects the Ingress with the reason, never serves it unprotected', () => {
    expect(parse({ 'enable-modsecurity': 'true' }, {}).error?.message).toBe('enable-modsecurity: the ModSecurity module is not installed (Debian package libnginx-mod-http-modsecurity); the Ingress is not served rather than served without it');
    expect(parse({}, {}, { enable: true }).error?.message).toMatch(/^enable-modsecurity: the ConfigMap's enable-modsecurity is "true" but the ModSecurity module is not installed/);
    expect(parse({ 'enable-modsecurity': 'true', 'enable-owasp-core-rules': 'true' }, { modsecurityModule: INSTALLED.modsecurityModule }).error?.annotation).toBe('enable-owasp-core-rules');
    // Turned off: needs nothing, and without the module writes nothing nginx would not know.
    expect(parse({ 'enable-modsecurity': 'false' }, {}, { enable: true }).result).toEqual({ off: false, on: false, rulesFiles: [], transactionId: undefined });
  });

  test('ConfigMap on: the location only turns it off, or adds its own snippet and transaction id', () => {
    expect(parse({ 'enable-modsecurity': 'false' }, INSTALLED, { enable: true }).result?.off).toBe(true);
    expect(parse({ 'enable-modsecurity': 'true' }, INSTALLED, { enable: true }).result).toEqual({ off: false, on: false, rulesFiles: [], transactionId: undefined });
    expect(parse({ 'modsecurity-transaction-id': 'tx-$request_id' }, INSTALLED, { enable: true }).result?.transactionId).toBe('tx-$request_id');
  });

  test('hostile values are refused naming the key', () => {
    expect(parse({ 'enable-modsecurity': 'true', 'modsecurity-transaction-id': '$request_id"; include /etc/passwd; #' }).error?.annotation).toBe('modsecurity-transaction-id');
    expect(parse({ 'enable-modsecurity': 'true', 'modsecurity-snippet': "SecRuleEngine On';\ninclude /etc/passwd;" }).error?.annotation).toBe('modsecurity-snippet');
    expect(parse({ 'enable-modsecurity': 'yes' }).error?.annotation).toBe('enable-modsecurity');
    // A variable nginx does not have would fail nginx -t for every Ingress: refused.
    expect(parse({ 'enable-modsecurity': 'true', 'modsecurity-transaction-id': '$pwn$request_id' }).error?.message).toMatch(/\$pwn is not a variable/);
    expect(parse({ 'enable-modsecurity': 'true', 'modsecurity-transaction-id': 'a}$' }).error?.annotation).toBe('modsecurity-transaction-id');
    expect(parse({ 'enable-modsecurity': 'true', 'modsecurity-transaction-id': 'tx-${request_id}-$http_x_trace' }).result?.transactionId).toBe('tx-${request_id}-$http_x_trace');
  });

  test("ConfigMap keys: typed, a refused snippet keeps the default", () => {
    const g = { ...modsecurityFeature.globals!.defaults };
    expect(modsecurityFeature.globals!.parse(g, 'enable-modsecurity', 'true')).toBeUndefined();
    expect(modsecurityFeature.globals!.parse(g, 'enable-owasp-modsecurity-crs', 'true')).toBeUndefined();
    expect(modsecurityFeature.globals!.parse(g, 'modsecurity-snippet', 'Include /etc/passwd')).toMatch(/not a directive/);
    expect(g).toEqual({ enable: true, owaspCoreRules: true, snippet: undefined });
  });
});
