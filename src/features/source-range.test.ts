import { describe, expect, test } from '@jest/globals';
import type { GlobalConfig } from '../model/config.js';
import { DEFAULT_GLOBAL_CONFIG, parseGlobalConfig } from './registry.js';
import { checkCidr, parseCidrList } from '../model/validate.js';
import { sourceRangeFeature } from './source-range.js';
import { parseFamily } from '../../test/support/annotation-input.js';

function parse(annotations: Record<string, string>, config: GlobalConfig = DEFAULT_GLOBAL_CONFIG) {
  return parseFamily(sourceRangeFeature, annotations, { config });
}

describe('source-range annotations', () => {
  test('CIDR lists are split on commas, trimmed and normalised', () => {
    expect(parseCidrList(' 10.0.0.0/8,192.168.1.1 , 2001:DB8::/32,, ')).toEqual({ cidrs: ['10.0.0.0/8', '192.168.1.1', '2001:db8::/32'] });
    expect(checkCidr('10.0.0.0/08').cidr).toBe('10.0.0.0/8');
  });

  test.each([
    ['10.0.0.0/33', /prefix length must be from 0 to 32/],
    ['::/129', /prefix length must be from 0 to 128/],
    ['10.0.0.0/8/8', /not an IP address or CIDR/],
    ['999.1.1.1', /not an IP address or CIDR/],
    ['example.com', /not an IP address or CIDR/],
    ['10.0.0.0/8; allow all', /character ";" is not allowed/],
    ['10.0.0.1\nallow all', /U\+000A/],
    ['$remote_addr', /character "\$" is not allowed/],
    ['１0.0.0.1', /U\+FF11/],
  ])('rejects %j', (value, reason) => {
    const r = parse({ 'allowlist-source-range': value });
    expect(r.error?.annotation).toBe('allowlist-source-range');
    expect(r.error?.reason).toMatch(reason);
  });

  test('allowlist, its old name whitelist, and denylist', () => {
    expect(parse({}).result).toEqual({ allow: [], deny: [] });
    expect(parse({ 'whitelist-source-range': '1.2.3.4' }).result).toEqual({ allow: ['1.2.3.4'], deny: [] });
    const both = parse({ 'whitelist-source-range': '1.2.3.4', 'allowlist-source-range': '5.6.7.8' });
    expect(both.result?.allow).toEqual(['5.6.7.8']);
    expect(both.warnings[0]).toMatch(/allowlist-source-range is used/);
    expect(parse({ 'denylist-source-range': '1.2.3.0/24' }).result).toEqual({ allow: [], deny: ['1.2.3.0/24'] });
  });

  test('the global ConfigMap keys apply when the Ingress sets none; an annotation replaces them', () => {
    const { config, issues } = parseGlobalConfig({ data: { 'whitelist-source-range': '10.0.0.0/8', 'denylist-source-range': '10.0.0.66' } } as never);
    expect(issues).toEqual([]);
    expect(parse({}, config).result).toEqual({ allow: ['10.0.0.0/8'], deny: ['10.0.0.66'] });
    expect(parse({ 'whitelist-source-range': '1.1.1.1' }, config).result).toEqual({ allow: ['1.1.1.1'], deny: ['10.0.0.66'] });
    const bad = parseGlobalConfig({ data: { 'whitelist-source-range': '10.0.0.0/8;' } } as never);
    expect(bad.issues[0]?.key).toBe('whitelist-source-range');
    // The refused list is not used: the default (no list) stays.
    expect(bad.config.sourceRange.allow).toEqual([]);
  });
});
