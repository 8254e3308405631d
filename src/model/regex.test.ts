import { describe, expect, test } from '@jest/globals';
import { backtrackingRisk, checkAuthorRegex, compileRegex, HEADER_DIALECT, parseRegex, PATH_DIALECT, RegexSyntaxError } from './regex.js';

describe('the regex grammar (what nginx PCRE2 and the controller read alike)', () => {
  test.each([
    '/foo',
    '/something(/|$)(.*)',
    '/api/v[0-9]+/users/(.+)',
    '/(api|web)/.*',
    '/([^/]+)/([^/]+)/x',
    '/\\.well-known/.*',
    '/[a-z-]+',
    '/[-a-z0-9_.]+',
    '/a{2}b{1,3}c{4,}',
    '/(?:x|y)z??',
    '/user/\\d+/profile\\S*',
    '/files/[\\w\\-]+\\.(png|jpe?g)$',
    '/a$|/b$',
    '/(|x)',
    '/x{0}',
    '/\\_\\%[\\_\\-]',
  ])('path %j is accepted', (path) => {
    expect(checkAuthorRegex(path, PATH_DIALECT)).toBeUndefined();
  });

  test.each([
    ['/[]', /empty class \[\] matches nothing .* at offset 1/],
    ['/[^]', /empty class/],
    ['/\\1', /the escape \\1 is not supported/],
    ['/(a)\\1', /the escape \\1 is not supported/],
    ['/\\u0041', /the escape \\u is not supported/],
    ['/\\x41', /the escape \\x is not supported/],
    ['/\\bword', /the escape \\b/],
    ['/\\Qa\\E', /the escape \\Q/],
    ['/(?i)a', /only \(\.\.\.\) and \(\?:\.\.\.\) groups/],
    ['/(?=a)', /no lookarounds/],
    ['/(?<n>a)', /named groups/],
    ['/(?P<n>a)', /named groups/],
    ['/a{,3}', /"\{" must start a count/],
    ['/a{', /"\{" must start a count/],
    ['/a}', /write \\\} for a literal/],
    ['/a]', /write \\\] for a literal/],
    ['/a{256}', /counts above 255/],
    ['/a{3,2}', /n <= m/],
    ['/[[:alpha:]]', /POSIX class/],
    ['/[z-a]', /runs backwards/],
    ['/[\\d-z]', /single character at each end/],
    ['/a**', /cannot follow a quantifier/],
    ['/a*+', /possessive/],
    ['/(*a)', /nothing to repeat/],
    ['/^*', /cannot follow an anchor/],
    ['/(a', /missing "\)"/],
    ['/a)', /unmatched "\)"/],
    ['/[a', /missing "\]"/],
    ['/a\\', /cannot end with "\\"/],
    ['/(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))', /nested more than 32 deep/],
    ['/((a{255}){255})', /write out to more than 10000 characters/],
  ])('path %j is refused: %s', (path, reason) => {
    expect(checkAuthorRegex(path, PATH_DIALECT)).toMatch(reason);
  });

  test('offsets in a reason are the author\'s, not counting the "^" nginx adds', () => {
    expect(checkAuthorRegex('/ab[]', PATH_DIALECT)).toMatch(/at offset 3$/);
  });

  test('header patterns allow spaces and more punctuation as literals, and are case-sensitive', () => {
    expect(checkAuthorRegex("^Mozilla/5.0 \\(X11; Linux\\)$", HEADER_DIALECT)).toMatch(/character ";" is not allowed/);
    expect(checkAuthorRegex("^beta user <x@y>$", HEADER_DIALECT)).toBeUndefined();
    expect(compileRegex('^Beta$', HEADER_DIALECT).test('beta')).toBe(false);
    expect(compileRegex('/beta', PATH_DIALECT).test('/BETA')).toBe(true);
  });
});

describe('backtracking analysis', () => {
  test.each([
    ['/(a+)+b', /nested repetition/],
    ['/(a*)*b', /empty string/],
    ['/(a?)+b', /empty string/],
    ['/(x.*y)+z', /nested repetition/],
    ['/(a|aa)+$', /repeated alternation/],
    ['/(a|a)*b', /repeated alternation/],
    ['/(\\w|\\d)+!', /repeated alternation/],
    ['/(a|aa){2,9}!', /repeated alternation/],
    ['/a.*b.*c', /two repetitions/],
    ['/api/.*/v1/.*/items', /two repetitions/],
    ['/\\d+\\d+x', /two repetitions/],
    ['/x|/a.*b', /two repetitions/], // the second branch is searched at every position
    ['/a?a?a?a?a?a?a?a?a?aaaaaaaaa', /more than 8 optional parts/],
    ['/A(a|aa)+$', /repeated alternation/], // case-insensitive: A and a overlap
  ])('path %j is refused: %s', (path, reason) => {
    expect(checkAuthorRegex(path, PATH_DIALECT)).toMatch(reason);
  });

  test.each(['/(.*)/(.*)', '/(/[a-z]+)+', '/([a-z]+/)+\\.json', '/(a+b)+c', '/(.*)$', '/([^/]+)$', '/(ab|cd)+$', '/a?b?c?d?', '/.*\\.php$'])('path %j is accepted', (path) => {
    expect(checkAuthorRegex(path, PATH_DIALECT)).toBeUndefined();
  });

  test('header patterns are searched at every position: a.*b is quadratic there, .*beta.* and anchored ones are not', () => {
    expect(checkAuthorRegex('a.*b', HEADER_DIALECT)).toMatch(/two repetitions/);
    expect(checkAuthorRegex('.*beta.*', HEADER_DIALECT)).toBeUndefined();
    expect(checkAuthorRegex('^a.*b$', HEADER_DIALECT)).toBeUndefined();
    expect(checkAuthorRegex('(a|aa)+$', HEADER_DIALECT)).toMatch(/backtrack/);
  });

  test('the parser and the analysis finish on 64 KiB of hostile text (the annotation limit)', () => {
    const size = 64 * 1024;
    const hostile = ['('.repeat(size), 'a?'.repeat(size / 2), '(a|'.repeat(size / 3), '[a-'.repeat(size / 3), 'a{1,255}'.repeat(size / 8), '.*'.repeat(size / 2), 'a|'.repeat(size / 2), '\\'.repeat(size)];
    for (const text of hostile) expect([text.slice(0, 6), typeof checkAuthorRegex(`/${text}`, PATH_DIALECT)]).toEqual([text.slice(0, 6), 'string']);
    // Long accepted patterns are analysed too: 1,000 alternatives.
    const wide = Array.from({ length: 1000 }, (_, i) => `x${i}`).join('|');
    expect(() => backtrackingRisk(parseRegex(`/(${wide})`, PATH_DIALECT))).not.toThrow();
  });
});

describe('linear-time matching', () => {
  test('agrees with the meaning of a regex location (searched, ^ anchored, case-insensitive)', () => {
    const cases: Array<[string, string, boolean]> = [
      ['/foo', '/foo/bar', true],
      ['/foo', '/x/foo', false],
      ['/foo$', '/foo/', false],
      ['/FOO/[0-9]+$', '/foo/123', true],
      ['/foo/[0-9]+$', '/foo/12a', false],
      ['/a|/b', '/x/b', true], // `^` binds to the first branch only, as in PCRE
      ['/(api|web)/.*', '/web/', true],
      ['/x[^a]', '/xA', false],
      ['/x{2,3}y', '/xxxxy', false],
      ['/x{2,3}y', '/xxxy', true],
      ['/x{2,}y', '/xxxxxxy', true],
      ['/.?$', '/', true],
      ['/\\.well-known/', '/.well-known/acme', true],
      ['/\\.well-known/', '/xwell-known/acme', false],
      ['/(|z)q', '/q', true],
    ];
    for (const [pattern, subject, expected] of cases) {
      expect([pattern, subject, compileRegex(pattern, PATH_DIALECT).test(subject)]).toEqual([pattern, subject, expected]);
    }
  });

  test('(a+)+b against 40 a\'s and a "!" answers at once (a backtracking engine never returns)', () => {
    // Refused for nginx, but the controller must still be able to ask about it without hanging.
    const re = compileRegex('/(a+)+b', PATH_DIALECT);
    expect(re.test(`/${'a'.repeat(40)}!/`)).toBe(false);
    expect(re.test(`/${'a'.repeat(20_000)}b`)).toBe(true);
  });

  test('a pattern that is not in the grammar does not compile', () => {
    expect(() => compileRegex('/\\1', PATH_DIALECT)).toThrow(RegexSyntaxError);
  });
});
