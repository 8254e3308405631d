import { describe, expect, test } from '@jest/globals';
import { canaryFeature, headerMatches, literalRegex, weightShare, type CanaryAnnotation } from './canary.js';
import { parseFamily } from '../../test/support/annotation-input.js';

function parse(annotations: Record<string, string>) {
  return parseFamily(canaryFeature, annotations);
}

describe('canary annotations', () => {
  test('off unless canary is "true"; policy keys without it are ignored with a warning', () => {
    expect(parse({}).result?.enabled).toBe(false);
    expect(parse({ canary: 'false', 'canary-weight': '10' }).result?.enabled).toBe(false);
    const stray = parse({ 'canary-weight': '10' });
    expect(stray.result?.enabled).toBe(false);
    expect(stray.warnings[0]).toMatch(/canary-weight only apply together with canary: "true"/);
    expect(parse({ canary: 'yes' }).error?.annotation).toBe('canary');
  });

  test('a full policy with defaults', () => {
    expect(parse({ canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-cookie': 'beta_user', 'canary-weight': '20' }).result).toEqual({
      enabled: true,
      header: 'X-Canary',
      headerValue: undefined,
      headerPattern: undefined,
      cookie: 'beta_user',
      weight: 20,
      weightTotal: 100,
    });
  });

  test.each([
    ['canary-by-header', 'X Canary'],
    ['canary-by-header', 'X_Canary'],
    ['canary-by-header', 'x;rm'],
    ['canary-by-header', ''],
    ['canary-by-cookie', 'a$b'],
    ['canary-by-cookie', 'a"b'],
    ['canary-by-cookie', 'a{b}'],
    ['canary-by-cookie', 'a;b'],
  ])('%s %j is rejected', (key, value) => {
    expect(parse({ canary: 'true', [key]: value }).error?.annotation).toBe(key);
  });

  test.each(['v2"; return 200; #', 'a$host', 'a;b', 'line\nbreak', '{x}', 'back\\slash', ''])('canary-by-header-value %j is rejected', (value) => {
    expect(parse({ canary: 'true', 'canary-by-header': 'X-V', 'canary-by-header-value': value }).error?.annotation).toBe('canary-by-header-value');
  });

  test.each(['foo$bar', '$host', '(unclosed', 'a"b', 'a;b', 'x#y', '(?<name>a)', '(a)\\1'])('canary-by-header-pattern %j is rejected', (value) => {
    expect(parse({ canary: 'true', 'canary-by-header': 'X-V', 'canary-by-header-pattern': value }).error?.annotation).toBe('canary-by-header-pattern');
  });

  test('a header value or pattern without the header is ignored with a warning (as ingress-nginx); a value wins over a pattern', () => {
    const alone = parse({ canary: 'true', 'canary-by-header-value': 'v2', 'canary-weight': '10' });
    expect(alone.result).toMatchObject({ header: undefined, headerValue: undefined, headerPattern: undefined, weight: 10 });
    expect(alone.warnings).toEqual(['canary-by-header-value is ignored without canary-by-header (the header to read), as in ingress-nginx']);
    expect(parse({ canary: 'true', 'canary-by-header-value': 'v2;' }).error?.annotation).toBe('canary-by-header-value');
    const both = parse({ canary: 'true', 'canary-by-header': 'X-V', 'canary-by-header-value': 'v2', 'canary-by-header-pattern': '^v' });
    expect(both.result).toMatchObject({ headerValue: 'v2', headerPattern: undefined });
    expect(both.warnings[0]).toMatch(/pattern is ignored/);
    expect(parse({ canary: 'true', 'canary-by-header': 'X-V', 'canary-by-header-pattern': '^(beta|rc)-[0-9]+$' }).result?.headerPattern).toBe('^(beta|rc)-[0-9]+$');
  });

  test('weights are whole numbers from 0 to canary-weight-total', () => {
    expect(parse({ canary: 'true', 'canary-weight': '500', 'canary-weight-total': '1000' }).result).toMatchObject({ weight: 500, weightTotal: 1000 });
    for (const bad of ['-1', '10.5', 'abc', '101', ' ']) expect(parse({ canary: 'true', 'canary-weight': bad }).error?.annotation).toBe('canary-weight');
    expect(parse({ canary: 'true', 'canary-weight-total': '0' }).error?.annotation).toBe('canary-weight-total');
    expect(parse({ canary: 'true' }).warnings[0]).toMatch(/sends no request to the canary/);
  });

  test('the weight becomes a split_clients share or a constant', () => {
    const p = (weight: number | undefined, weightTotal = 100) => ({ enabled: true, header: undefined, headerValue: undefined, headerPattern: undefined, cookie: undefined, weight, weightTotal });
    expect(weightShare(p(undefined))).toEqual({ constant: '0' });
    expect(weightShare(p(0))).toEqual({ constant: '0' });
    expect(weightShare(p(100))).toEqual({ constant: '1' });
    expect(weightShare(p(30))).toEqual({ percent: '30.00%' });
    expect(weightShare(p(1, 3))).toEqual({ percent: '33.33%' });
    expect(weightShare(p(7, 10000))).toEqual({ percent: '0.07%' });
  });

  test('a literal header value becomes an anchored case-sensitive regex', () => {
    expect(literalRegex('v2.1+x')).toBe('v2\\.1\\+x');
    const p = parse({ canary: 'true', 'canary-by-header': 'X-V', 'canary-by-header-value': 'v2.1' }).result!;
    expect(headerMatches(p)).toEqual([{ key: '~^v2\\.1$', result: '1' }]);
    expect(new RegExp(headerMatches(p)[0]!.key.slice(1)).test('v2x1')).toBe(false);
  });

  test.each([
    ['[]', /not a supported regular expression: an empty class/],
    ['\\u0041', /the escape \\u is not supported/],
    ['[[:x:]]', /POSIX class/],
    ['x{99999}', /counts above 255/],
    ['(a|aa)+$', /can make nginx backtrack/],
    ['a.*b', /can make nginx backtrack: two repetitions/],
  ])('canary-by-header-pattern %j, which nginx refuses or backtracks on, is rejected: %s', (value, reason) => {
    const { error } = parse({ canary: 'true', 'canary-by-header': 'X-V', 'canary-by-header-pattern': value });
    expect(error?.annotation).toBe('canary-by-header-pattern');
    expect(error?.reason).toMatch(reason);
  });
});

