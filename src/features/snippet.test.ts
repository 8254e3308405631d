import { describe, expect, test } from '@jest/globals';
import { checkSnippet, snippetFeature } from './snippet.js';
import { parseFamily } from '../../test/support/annotation-input.js';

/** `globals`: the ConfigMap's allow-snippet-annotations (config.snippets); unset, its default. */
function parse(annotations: Record<string, string>, allow: boolean, globals?: { allowSnippetAnnotations: boolean }) {
  return parseFamily(snippetFeature, annotations, {
    options: { allowSnippetAnnotations: allow },
    ...(globals ? { config: { snippets: globals } } : {}),
  });
}

describe('snippet annotations', () => {
  test('ignored with a warning unless the operator allows them; the global key can only turn them off', () => {
    const off = parse({ 'configuration-snippet': 'add_header X y;', 'server-snippet': 'x;' }, false);
    expect(off.result).toEqual({ configuration: undefined, server: undefined });
    expect(off.warnings).toHaveLength(2);
    expect(parse({ 'configuration-snippet': 'add_header X y;' }, false, { allowSnippetAnnotations: true }).result?.configuration).toBeUndefined();
    expect(parse({ 'configuration-snippet': 'add_header X y;' }, true, { allowSnippetAnnotations: false }).result?.configuration).toBeUndefined();
    expect(parse({ 'configuration-snippet': 'add_header X y;\n' }, true).result?.configuration).toBe('add_header X y;');
  });

  test.each([
    'add_header X-Frame-Options "DENY" always;',
    'if ($http_x_block) {\n  return 403;\n}',
    'set $x "a;b}{";  # a comment with } and {\nadd_header X $x;',
    'return 200 "{}";',
    "more_set_headers 'X: y';",
    'location = /x { return 200 "ok"; }',
  ])('accepts %j', (text) => {
    expect(checkSnippet(text)).toBeUndefined();
  });

  test.each([
    ['load_module /tmp/evil.so;', /load_module/],
    ['ssl_engine evil;', /ssl_engine/],
    ['include /tmp/x.conf;', /include/],
    ['INCLUDE /tmp/x.conf;', /include/],
    ['content_by_lua_block { os.execute("id") }', /_by_lua/],
    ['access_by_lua_file /x.lua;', /_by_lua/],
    ['alias /;', /alias/],
    ['root /;', /root/],
    ['add_header X /etc/passwd;', /\/etc/],
    ['return 200 /var/run/secrets/kubernetes.io/serviceaccount/token;', /secrets/],
    ['}\nserver { listen 1; }\nlocation /x {', /closes a block/],
    ['return 200;\n}', /closes a block/],
    ['if ($x) {\nreturn 403;', /unbalanced braces/],
    ['add_header X "y;', /spans lines|unbalanced quotes/],
    ["add_header X 'y;", /unbalanced quotes/],
    ['add_header X "a\nb";', /spans lines/],
    ['add_header X y', /must end with/],
    ['return 200 "{";', /unbalanced braces \(quoted/],
    ['add_header X y; # }', /unbalanced braces \(quoted/],
    ['add_header X \\;', /must end with/],
    ['add_header X y;\r\nreturn 200;', /U\+000D/],
    ['add_header X "ｙ";', /U\+FF59/],
    ['add_header X y;\u0000', /U\+0000/],
  ])('rejects %j', (text, reason) => {
    expect(checkSnippet(text)).toMatch(reason);
    expect(parse({ 'configuration-snippet': text }, true).error?.annotation).toBe('configuration-snippet');
  });

  test('server-snippet is checked the same way', () => {
    expect(parse({ 'server-snippet': 'include /etc/nginx/x;' }, true).error?.annotation).toBe('server-snippet');
  });
});
