import { describe, expect, test } from '@jest/globals';
import { parseModsecuritySnippet } from './modsecurity-snippet.js';

function reason(text: string, reserved?: Set<number>): string | undefined {
  const r = parseModsecuritySnippet(text, reserved);
  return 'reason' in r ? r.reason : undefined;
}

describe('modsecurity-snippet allowlist', () => {
  test('directives real manifests use pass, one per line, continuations joined', () => {
    const r = parseModsecuritySnippet(
      [
        'SecRuleEngine On',
        'SecRequestBodyAccess On',
        '# a comment',
        'SecAuditEngine RelevantOnly',
        'SecAuditLogParts ABIJDEFHZ',
        'SecAuditLog /dev/stdout',
        'SecAuditLogFormat JSON',
        'SecRuleRemoveById 920350 942100-942999',
        'SecRuleRemoveByTag "attack-sqli"',
        'SecRuleUpdateTargetById 942100 "!ARGS:password"',
        'SecRule REQUEST_URI "@beginsWith /api" \\',
        '    "id:1000,phase:1,pass,nolog,ctl:ruleRemoveById=941100"',
        `SecRule REQUEST_HEADERS:User-Agent "block-ua" "log,deny,id:107,status:403,msg:'UA blocked'"`,
        `SecRule ARGS "@rx (?i)union\\s+select" "id:108,phase:2,deny,status:403,t:none,t:urlDecodeUni,chain"`,
        '  SecRule REMOTE_ADDR "!@ipMatch 10.0.0.0/8,192.168.1.1" "t:none"',
        'SecAction "id:900000,phase:1,pass,nolog,setvar:tx.paranoia_level=2"'.replace('900000', '1001'),
      ].join('\n'),
    );
    expect('reason' in r ? r.reason : undefined).toBeUndefined();
    if ('reason' in r) return;
    expect(r.ids).toEqual([1000, 107, 108, 1001]);
    expect(r.lines).toContain('SecRule REQUEST_URI "@beginsWith /api" "id:1000,phase:1,pass,nolog,ctl:ruleRemoveById=941100"');
    expect(r.lines).toHaveLength(14);
  });

  test("ingress-nginx's nginx-escaped quotes are read as ModSecurity sees them", () => {
    const r = parseModsecuritySnippet(`SecRule REQUEST_HEADERS:User-Agent \\"block-ua\\" \\"log,deny,id:107,status:403,msg:\\'UA blocked\\'\\"`);
    expect('lines' in r && r.lines).toEqual([`SecRule REQUEST_HEADERS:User-Agent "block-ua" "log,deny,id:107,status:403,msg:'UA blocked'"`]);
  });

  test.each([
    ['Include /etc/passwd', /not a directive/],
    ['IncludeOptional /etc/modsecurity/*.conf', /not a directive/],
    ['SecAuditLog /var/tmp/modsec_audit.log', /may not name a file/],
    ['SecAuditLogType Concurrent', /storage directory/],
    ['SecAuditLogStorageDir /var/tmp/', /not a directive/],
    ['SecDebugLog /tmp/debug.log', /not a directive/],
    ['SecRule ARGS "@pmFromFile /etc/shadow" "id:1,deny"', /operator @pmFromFile is not allowed/],
    ['SecRule ARGS "@inspectFile /bin/sh" "id:1,deny"', /operator @inspectFile is not allowed/],
    ['SecRule ARGS "@rbl bl.example" "id:1,deny"', /operator @rbl/],
    ['SecRule ENV:PATH "@rx ." "id:1,deny"', /variable ENV is not allowed/],
    ['SecRule ARGS "@rx ." "id:1,exec:/bin/sh"', /action "exec/],
    ['SecRule ARGS "@rx ." "id:1,setenv:LD_PRELOAD=/tmp/x.so"', /action "setenv/],
    ['SecAction "id:1,pass,msg:\'%{env.HOME}\'"', /ENV/],
    ['SecRule ARGS "@rx (" "id:1,deny"', /not a valid regular expression/],
    ['SecRule ARGS "@rx a" "id:942100,deny"', /1 to 199999/],
    ['SecRule ARGS "@rx a" "deny"', /needs an id/],
    ['SecRule ARGS "@rx a" "id:5,deny,chain"', /chained/],
    ['SecRule ARGS "@rx a" "id:5,deny"\nSecRule ARGS "@rx b" "id:5,deny"', /used twice/],
    ['SecRule ARGS "@rx a" "id:5,deny,ctl:auditLogFile=/tmp/x"', /may change only/],
    ['SecRule ARGS "@rx a" "id:5,t:evil"', /no transformation/],
    ['SecRuleEngine Maybe', /takes "On" or "Off" or "DetectionOnly"/],
    ["SecRuleEngine On'; } location /x { root /; #", /quotes and backslashes|not closed|takes/],
    ['SecRuleEngine On\n}\nserver { listen 1;', /not a directive/],
    ['SecRule ARGS "unterminated', /not closed/],
    ['SecRuleEngine On\u0000', /U\+0000/],
    ['SecRule ARGS "@rx a" "id:5,deny,chain"\nSecRule ARGS "@rx b"', /VARIABLES "OPERATOR" "ACTIONS"/],
    ['SecMarker "a b"', /marker name/],
  ])('refused: %j', (text, why) => {
    expect(reason(text)).toMatch(why);
  });

  test("an id the ConfigMap's snippet already uses is refused, naming it", () => {
    expect(reason('SecAction "id:77,pass,nolog"', new Set([77]))).toBe("line 1: rule id 77 is already used by the ConfigMap's modsecurity-snippet");
  });
});
