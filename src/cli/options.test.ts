import { describe, expect, test } from '@jest/globals';
import { Command } from 'commander';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addCommonFlags, installedCoreRuleSet, modelOptionsFrom, type CommonFlags } from './options.js';

const flagsOf = (args: string[]): CommonFlags => addCommonFlags(new Command('x').exitOverride(), false).parse(args, { from: 'user' }).opts<CommonFlags>();

describe('modelOptionsFrom', () => {
  test('loopback endpoints are allowed in directory mode only: objects from the Kubernetes API never get them', () => {
    expect(modelOptionsFrom(flagsOf(['--manifests', 'examples'])).allowLoopbackEndpoints).toBe(true);
    expect(modelOptionsFrom(flagsOf([])).allowLoopbackEndpoints).toBe(false);
  });
});

describe('installedCoreRuleSet', () => {
  test("Debian's load order: setup, exclusions before, rules by name, exclusions after; undefined when not installed", () => {
    const root = mkdtempSync(join(tmpdir(), 'portico-crs-'));
    const config = join(root, 'etc');
    const rules = join(root, 'rules');
    expect(installedCoreRuleSet({ config, rules })).toBeUndefined();
    mkdirSync(config);
    mkdirSync(rules);
    for (const f of ['crs-setup.conf', 'REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf', 'RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf']) writeFileSync(join(config, f), '');
    for (const f of ['REQUEST-941-APPLICATION-ATTACK-XSS.conf', 'REQUEST-901-INITIALIZATION.conf', 'scanners-user-agents.data']) writeFileSync(join(rules, f), '');
    expect(installedCoreRuleSet({ config, rules })).toEqual([
      `${config}/crs-setup.conf`,
      `${config}/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf`,
      `${rules}/REQUEST-901-INITIALIZATION.conf`,
      `${rules}/REQUEST-941-APPLICATION-ATTACK-XSS.conf`,
      `${config}/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf`,
    ]);
  });
});
