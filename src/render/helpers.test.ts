import { describe, expect, test } from '@jest/globals';
import Handlebars from 'handlebars';
import { HELPERS, RenderError, integer, quote, snippet, squeezeBlankLines, token } from './helpers.js';

describe('template helpers (the second layer of defence)', () => {
  test('q quotes and escapes backslash and double quote', () => {
    expect(quote('plain')).toBe('"plain"');
    expect(quote(8080)).toBe('"8080"');
    expect(quote('a"b')).toBe('"a\\"b"');
    expect(quote('a\\b')).toBe('"a\\\\b"');
    expect(quote('a\\"; evil; "')).toBe('"a\\\\\\"; evil; \\""');
    expect(quote("it's {ok} #1 ;")).toBe('"it\'s {ok} #1 ;"');
  });

  test.each(['a\nb', 'a\rb', 'a\u0000', 'tab\there', 'del\u007f', '\u001b[31m'])('q refuses control characters: %j', (v) => {
    expect(() => quote(v)).toThrow(RenderError);
  });

  test.each([undefined, null, {}, ['a'], true])('q refuses non-strings: %j', (v) => {
    expect(() => quote(v)).toThrow(/cannot quote/);
  });

  test('int renders integers only', () => {
    expect(integer(0)).toBe('0');
    expect(integer(-5)).toBe('-5');
    for (const v of [1.5, '1', NaN, Infinity, undefined, null]) expect(() => integer(v)).toThrow(/not an integer/);
  });

  test('tok accepts a restricted charset only', () => {
    for (const v of ['portico_rps_web_shop.v2', '10.0.0.0/8', '::1', '^~', '~*', '=', 'X-Auth-User', '']) expect(token(v)).toBe(v);
    for (const v of ['a b', 'a;b', 'a{', 'a}', '"a"', "'a'", '$host', 'a#b', 'a\\b', 'a\nb', 'ａ', 5, undefined]) {
      expect(() => token(v)).toThrow(/not a safe nginx token/);
    }
  });

  test('snippet indents lines and refuses control characters, unbalanced braces and forbidden directives', () => {
    expect(snippet('add_header X y;\n\n  if ($a) {\nreturn 403;\n}', 4)).toBe('    add_header X y;\n\n    if ($a) {\n    return 403;\n    }');
    expect(() => snippet('a;\r\nb;', 0)).toThrow(/control/);
    expect(() => snippet('x "é";', 0)).toThrow(/non-ASCII/);
    expect(() => snippet('}', 0)).toThrow(/unbalanced/);
    expect(() => snippet('if ($a) {', 0)).toThrow(/unbalanced/);
    expect(() => snippet('load_module x.so;', 0)).toThrow(/forbidden/);
    expect(() => snippet('rewrite_by_lua_block {}', 0)).toThrow(/forbidden/);
    expect(() => snippet(undefined, 0)).toThrow(/not a snippet/);
  });

  test('logic helpers ignore the trailing Handlebars options argument', () => {
    const opts = { hash: {} };
    expect(HELPERS.or(undefined, 0, 'x', opts)).toBe(true);
    expect(HELPERS.or(undefined, 0, opts)).toBe(false);
    expect(HELPERS.and(1, 'x', opts)).toBe(true);
    expect(HELPERS.and(1, '', opts)).toBe(false);
    expect(HELPERS.eq('a', 'a')).toBe(true);
    expect(HELPERS.ne('a', 'a')).toBe(false);
    expect(HELPERS.not(undefined)).toBe(true);
  });

  test('squeezeBlankLines empties whitespace-only lines and keeps at most one blank line in a row', () => {
    expect(squeezeBlankLines('a\n   \n\t\nb\n\n\n\nc\n')).toBe('a\n\nb\n\nc\n');
  });

  test('block renders its content as one flat string with blank lines squeezed', () => {
    const hb = Handlebars.create();
    hb.registerHelper('block', HELPERS.block);
    const t = hb.compile('{{#each xs}}\n{{#block}}\nserver {{this}}\n\n\n   \n{{/block}}\n{{/each}}', { noEscape: true, strict: true });
    expect(t({ xs: ['a', 'b'] })).toBe('server a\n\nserver b\n\n');
  });
});
