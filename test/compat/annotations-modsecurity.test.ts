// Replays kubernetes/ingress-nginx test/e2e/annotations/modsecurity/modsecurity.go ("modsecurity owasp", every
// It) through Portico's render pipeline, a real nginx with Debian's ModSecurity module and Core Rule Set, and an
// echo backend; plus issue 14's own assertions (the Core Rule Set blocks a script in the query only with
// SecRuleEngine On). Where ingress-nginx checks nginx.conf text, this checks the same directive and, where it
// shows, the traffic. One difference, on purpose: modsecurity-snippet may not name files, so the last It's
// `SecAuditLog /var/tmp/modsec_audit.log` (and its storage dir) is replayed with SecAuditLog /dev/stdout.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { installedCoreRuleSet, installedModsecurity } from '../../src/cli/options.js';
import { DEFAULT_MODEL_OPTIONS } from '../../src/model/types.js';
import type { KubeObject } from '../../src/store/types.js';
import { INGRESS_CLASS, renderChecked, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { configMap, CONFIGMAP_REF, singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const XSS = '/?q=<script>alert(1)</script>';
// The e2e's snippet, as ingress-nginx users write it (nginx-escaped quotes, since it lands in a quoted nginx string).
const BLOCK_UA = `SecRuleEngine On
		SecRequestBodyAccess On
		SecAuditEngine RelevantOnly
		SecAuditLogParts ABIJDEFHZ
		SecAuditLog /dev/stdout
		SecAuditLogType Serial
		SecRule REQUEST_HEADERS:User-Agent \\"block-ua\\" \\"log,deny,id:107,status:403,msg:\\'UA blocked\\'\\"`;
const BLOCK_UA_NO_ENGINE = BLOCK_UA.replace('SecRuleEngine On\n\t\t', '');

const modules = { modsecurityModule: installedModsecurity(DEFAULT_MODEL_OPTIONS.nginxModulesDir!), coreRuleSet: installedCoreRuleSet() };

function serverBlock(conf: string, host: string): string {
  return conf.split(/\n    server \{/).find((b) => b.includes(`server_name "${host}"`)) ?? '';
}

/** The text of the rule files a server block names (the directives ingress-nginx writes inline). */
function rulesOf(block: string): string {
  return [...block.matchAll(/modsecurity_rules_file "([^"]+)";/g)].map((m) => readFileSync(m[1]!, 'utf8')).join('\n');
}

describe('ingress-nginx annotations/modsecurity/modsecurity.go', () => {
  let backends: Backends;
  let s: Scenario;
  let base: KubeObject[];
  const ing = (name: string, annotations: Record<string, string>) => singleIngress(name, `${name}.modsecurity.foo.com`, 'echo', { annotations });
  const host = (name: string) => `${name}.modsecurity.foo.com`;

  beforeAll(async () => {
    expect(modules.modsecurityModule).toBeDefined();
    expect(modules.coreRuleSet).toBeDefined();
    backends = await startBackends('echo');
    base = [INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!])];
    s = await startScenario(
      [
        ...base,
        ing('enable', { [`${P}/enable-modsecurity`]: 'true' }),
        ing('owasp', { [`${P}/enable-modsecurity`]: 'true', [`${P}/enable-owasp-core-rules`]: 'true', [`${P}/modsecurity-transaction-id`]: 'modsecurity-$request_id' }),
        ing('disable', { [`${P}/enable-modsecurity`]: 'false' }),
        ing('snippet', { [`${P}/enable-modsecurity`]: 'true', [`${P}/modsecurity-snippet`]: 'SecRuleEngine On' }),
        ing('block', { [`${P}/enable-modsecurity`]: 'true', [`${P}/modsecurity-snippet`]: BLOCK_UA }),
        ing('crs-on', { [`${P}/enable-modsecurity`]: 'true', [`${P}/enable-owasp-core-rules`]: 'true', [`${P}/modsecurity-snippet`]: 'SecRuleEngine On' }),
        ing('crs-removed', {
          [`${P}/enable-modsecurity`]: 'true',
          [`${P}/enable-owasp-core-rules`]: 'true',
          [`${P}/modsecurity-snippet`]: 'SecRuleEngine On\nSecRuleRemoveByTag "attack-xss"\nSecRuleRemoveById 949110',
        }),
      ],
      { ...CONFIGMAP_REF, ...modules },
    );
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should enable modsecurity")
  test('should enable modsecurity', async () => {
    const server = serverBlock(s.conf, host('enable'));
    expect(server).toContain('modsecurity on;');
    expect(rulesOf(server)).toContain('SecRuleEngine DetectionOnly');
    expect(s.conf).toMatch(/^load_module "[^"]+ngx_http_modsecurity_module\.so";$/m);
    expect((await s.get(host('enable'), '/')).status).toBe(200);
  });

  // It("should enable modsecurity with transaction ID and OWASP rules")
  test('should enable modsecurity with transaction ID and OWASP rules', async () => {
    const server = serverBlock(s.conf, host('owasp'));
    expect(server).toContain('modsecurity on;');
    expect(server).toContain('modsecurity_transaction_id "modsecurity-$request_id";');
    expect(rulesOf(server)).toContain('Include /usr/share/modsecurity-crs/rules/REQUEST-941-APPLICATION-ATTACK-XSS.conf');
    // Detection only (issue 14): the Core Rule Set sees the script and logs it under the transaction id; both pass.
    const attack = await s.get(host('owasp'), XSS);
    expect(attack.status).toBe(200);
    expect(attack.echo?.service).toBe('echo');
    expect((await s.get(host('owasp'), '/')).status).toBe(200);
    // The audit log's transaction: "modsecurity-" and nginx's $request_id (32 hex digits), with the script it saw.
    expect(readFileSync(`${s.stateDir}/logs/modsec_audit.log`, 'utf8')).toMatch(/\] modsecurity-[0-9a-f]{32} [\s\S]*GET \/\?q=<script>alert\(1\)<\/script>[\s\S]*XSS/);
  });

  // It("should disable modsecurity")
  test('should disable modsecurity', async () => {
    expect(serverBlock(s.conf, host('disable'))).not.toContain('modsecurity on;');
    expect((await s.get(host('disable'), XSS)).status).toBe(200);
  });

  // It("should enable modsecurity with snippet")
  test('should enable modsecurity with snippet', async () => {
    const server = serverBlock(s.conf, host('snippet'));
    expect(server).toContain('modsecurity on;');
    expect(rulesOf(server)).toContain('SecRuleEngine On');
    expect(server).not.toContain('SecRuleEngine');
  });

  // It("should enable modsecurity with snippet and block requests")
  test('should enable modsecurity with snippet and block requests', async () => {
    expect(serverBlock(s.conf, host('block'))).toContain('modsecurity on;');
    expect((await s.get(host('block'), '/', { headers: { 'user-agent': 'block-ua' } })).status).toBe(403);
    expect((await s.get(host('block'), '/')).status).toBe(200);
  });

  // It("should disable default modsecurity conf setting when modsecurity-snippet is specified")
  test('should disable default modsecurity conf setting when modsecurity-snippet is specified', async () => {
    const rules = rulesOf(serverBlock(s.conf, host('block')));
    expect(rules).not.toContain('SecRuleEngine DetectionOnly');
    expect(rules).toContain('SecAuditLog /dev/stdout');
    expect((await s.get(host('block'), '/', { headers: { 'user-agent': 'block-ua' } })).status).toBe(403);
  });

  // Issue 14: the engine on with the Core Rule Set blocks a script in the query and passes a plain request.
  test('the Core Rule Set with SecRuleEngine On blocks <script> with 403 and passes a plain request', async () => {
    expect((await s.get(host('crs-on'), XSS)).status).toBe(403);
    const plain = await s.get(host('crs-on'), '/?q=hello');
    expect(plain.status).toBe(200);
    expect(plain.echo?.path).toBe('/?q=hello');
  });

  // Issue 14: SecRuleRemoveByTag / SecRuleRemoveById in a snippet lift the Core Rule Set's rules for that Ingress.
  test('SecRuleRemoveByTag and SecRuleRemoveById lift Core Rule Set rules', async () => {
    expect((await s.get(host('crs-removed'), XSS)).status).toBe(200);
  });

  // Portico: what the allowlist accepts loads (nginx -t with the module and the Core Rule Set; a bad rule fails it).
  test('every kind of directive the allowlist accepts passes nginx -t beside the Core Rule Set', async () => {
    const snippet = [
      'SecRuleEngine On',
      'SecRequestBodyAccess On',
      'SecAuditEngine RelevantOnly',
      'SecAuditLogParts ABIJDEFHZ',
      'SecAuditLog /dev/stdout',
      'SecAuditLogFormat JSON',
      'SecAuditLogRelevantStatus "^(?:5|4(?!04))"',
      'SecResponseBodyMimeType text/plain text/html',
      'SecRuleRemoveById 920350 942100-942999',
      'SecRuleRemoveByTag "attack-sqli"',
      'SecRuleUpdateTargetById 941100 "!ARGS:password"',
      'SecRule REQUEST_URI "@beginsWith /api" \\',
      '    "id:1000,phase:1,pass,nolog,ctl:ruleRemoveById=941100"',
      `SecRule ARGS "@rx (?i)union\\s+select" "id:108,phase:2,deny,status:403,t:none,t:urlDecodeUni,chain"`,
      '  SecRule REMOTE_ADDR "!@ipMatch 10.0.0.0/8,192.168.1.1" "t:none"',
      'SecAction "id:1001,phase:1,pass,nolog,setvar:tx.paranoia_level=2"',
      'SecRuleUpdateActionById 1001 "nolog"',
      `SecRule ARGS:/^id_/ "@detectSQLi" "id:1002,phase:2,block,capture,logdata:'%{MATCHED_VAR}',setvar:tx.anomaly_score=+5,expirevar:ip.x=60,skipAfter:END"`,
      'SecMarker END',
    ].join('\n');
    const { model } = await renderChecked(
      [...base, ing('all-kinds', { [`${P}/enable-modsecurity`]: 'true', [`${P}/enable-owasp-core-rules`]: 'true', [`${P}/modsecurity-snippet`]: snippet })],
      modules,
    );
    expect(model.rejections).toEqual([]);
    expect(model.files.find((f) => f.path.startsWith('modsecurity/default_all-kinds.'))?.content).toContain('SecMarker END');
  });

  describe('with the ConfigMap', () => {
    // The reload parses the Core Rule Set (about 1,800 rules) before the new workers answer: wait until the
    // first new host is served, so every request below reaches the new config.
    const apply = async (data: Record<string, string>, ...ingresses: KubeObject[]) => {
      const model = await s.update([...base, configMap(data), ...ingresses]);
      const first = ingresses[0]!.metadata!.name!;
      for (let i = 0; i < 100 && (await s.get(host(first), '/favicon.ico')).status === 404; i++) await new Promise((r) => setTimeout(r, 100));
      return model;
    };

    // It("should enable modsecurity without using 'modsecurity on;'")
    test("should enable modsecurity without using 'modsecurity on;'", async () => {
      await apply({ 'enable-modsecurity': 'true' }, ing('global', { [`${P}/enable-modsecurity`]: 'true' }));
      const server = serverBlock(s.conf, host('global'));
      expect(server).not.toContain('modsecurity on;');
      expect(server).not.toContain('modsecurity_rules_file');
      expect(s.conf).toMatch(/^ {4}modsecurity on;$/m);
      expect((await s.get(host('global'), XSS)).status).toBe(200);
    });

    // It("should disable modsecurity using 'modsecurity off;'")
    test("should disable modsecurity using 'modsecurity off;'", async () => {
      await apply({ 'enable-modsecurity': 'true', 'enable-owasp-modsecurity-crs': 'true', 'modsecurity-snippet': 'SecRuleEngine On' }, ing('off', { [`${P}/enable-modsecurity`]: 'false' }), ing('on', {}));
      expect(serverBlock(s.conf, host('off'))).toContain('modsecurity off;');
      // The ConfigMap's blocking WAF answers for the other Ingress, not for the one that turned it off.
      expect((await s.get(host('on'), XSS)).status).toBe(403);
      expect((await s.get(host('off'), XSS)).status).toBe(200);
    });

    // It("should enable modsecurity globally and with modsecurity-snippet block requests")
    test('should enable modsecurity globally and with modsecurity-snippet block requests', async () => {
      await apply({ 'enable-modsecurity': 'true' }, ing('global-snippet', { [`${P}/modsecurity-snippet`]: BLOCK_UA }));
      expect(rulesOf(serverBlock(s.conf, host('global-snippet')))).toContain('SecRuleEngine On');
      expect((await s.get(host('global-snippet'), '/', { headers: { 'user-agent': 'block-ua' } })).status).toBe(403);
    });

    // It("should enable modsecurity when enable-owasp-modsecurity-crs is set to true")
    test('should enable modsecurity when enable-owasp-modsecurity-crs is set to true', async () => {
      await apply({ 'enable-modsecurity': 'true', 'enable-owasp-modsecurity-crs': 'true' }, ing('global-crs', { [`${P}/modsecurity-snippet`]: BLOCK_UA }));
      expect(rulesOf(serverBlock(s.conf, host('global-crs')))).toContain('SecRuleEngine On');
      expect((await s.get(host('global-crs'), '/', { headers: { 'user-agent': 'block-ua' } })).status).toBe(403);
      // The Core Rule Set comes from http{}: the location's own snippet turned the engine on for it too.
      expect((await s.get(host('global-crs'), XSS)).status).toBe(403);
    });

    // It("should enable modsecurity through the config map")
    test('should enable modsecurity through the config map', async () => {
      await apply({ 'enable-modsecurity': 'true', 'enable-owasp-modsecurity-crs': 'true', 'modsecurity-snippet': 'SecRuleEngine On' }, ing('global-cm', { [`${P}/modsecurity-snippet`]: BLOCK_UA_NO_ENGINE }));
      expect(rulesOf(serverBlock(s.conf, host('global-cm')))).toContain('SecRequestBodyAccess On');
      expect((await s.get(host('global-cm'), '/', { headers: { 'user-agent': 'block-ua' } })).status).toBe(403);
    });

    // It("should enable modsecurity through the config map but ignore snippet as disabled by admin")
    test('should enable modsecurity through the config map but ignore snippet as disabled by admin', async () => {
      const model = await apply(
        { 'enable-modsecurity': 'true', 'enable-owasp-modsecurity-crs': 'true', 'allow-snippet-annotations': 'false', 'modsecurity-snippet': 'SecRuleEngine On' },
        ing('global-nosnippet', { [`${P}/modsecurity-snippet`]: BLOCK_UA_NO_ENGINE }),
      );
      expect(rulesOf(serverBlock(s.conf, host('global-nosnippet')))).not.toContain('block-ua');
      expect(model.warnings.map((w) => w.message)).toContain('modsecurity-snippet is ignored: the ConfigMap sets allow-snippet-annotations to "false"');
      expect((await s.get(host('global-nosnippet'), '/', { headers: { 'user-agent': 'block-ua' } })).status).toBe(200);
    });
  });
});
