import { AnnotationError, boolGlobal, globalsByKey, type Feature } from './feature.js';

/**
 * configuration-snippet (inside each of the Ingress's locations) and server-snippet (inside the server of
 * the host's oldest Ingress). Snippets are the one place where text from an Ingress reaches nginx.conf as
 * directives, so they are off unless the operator passes --allow-snippet-annotations (the global key
 * allow-snippet-annotations can only turn them off again), and even then a snippet is refused when it
 * names a dangerous directive or path, or when its braces or quotes would reach outside its block.
 */
export interface SnippetsAnnotation {
  configuration: string | undefined;
  server: string | undefined;
}

const NONE: SnippetsAnnotation = { configuration: undefined, server: undefined };

/** Directives and paths a snippet may not mention (case-insensitive). */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bload_module\b/i, 'load_module'],
  [/\bssl_engine\b/i, 'ssl_engine'],
  [/\binclude\b/i, 'include'],
  [/_by_lua/i, '*_by_lua*'],
  [/\blua_/i, 'lua_*'],
  [/\bperl/i, 'perl*'],
  [/\bjs_/i, 'js_*'],
  [/\balias\b/i, 'alias'],
  [/\broot\b/i, 'root'],
  [/\/etc(\/|\b)/i, 'paths under /etc'],
  [/\/var\/run\/secrets|\/run\/secrets/i, 'paths under /var/run/secrets'],
  [/serviceaccount/i, 'service account paths'],
];

/**
 * Reads a snippet the way nginx's tokenizer does (quotes, escapes, `#` comments, braces) and returns a
 * reason when it could change anything outside its own block: unbalanced braces or quotes, or a last
 * directive left open so that it would swallow the template's next line.
 */
export function checkSnippet(text: string): string | undefined {
  if (text.length > 16384) return 'longer than 16384 characters';
  if (/[^\x20-\x7e\n\t]/.test(text)) {
    const ch = /[^\x20-\x7e\n\t]/.exec(text)![0];
    return `character U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} is not allowed`;
  }
  for (const [re, what] of FORBIDDEN) if (re.test(text)) return `must not use ${what}`;
  let depth = 0;
  let quote: string | undefined;
  let comment = false;
  let last = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (comment) {
      if (c === '\n') comment = false;
      continue;
    }
    if (quote) {
      if (c === '\\') {
        i++;
        continue;
      }
      if (c === '\n') return 'a quoted string spans lines';
      if (c === quote) {
        quote = undefined;
        last = 'x';
      }
      continue;
    }
    if (c === '\\') {
      i++;
      last = 'x';
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      continue;
    }
    if (c === '#') {
      comment = true;
      continue;
    }
    if (c === '{') depth++;
    if (c === '}') {
      depth--;
      if (depth < 0) return 'a "}" closes a block the snippet did not open';
    }
    if (!/\s/.test(c)) last = c;
  }
  if (quote) return 'unbalanced quotes';
  // The template helper counts braces without parsing (an independent check): keep the two in agreement.
  if ((text.match(/{/g) ?? []).length !== (text.match(/}/g) ?? []).length) return 'unbalanced braces (quoted and commented braces count too)';
  if (depth !== 0) return 'unbalanced braces';
  if (last !== '' && last !== ';' && last !== '}') return 'the last directive must end with ";" or "}"';
  return undefined;
}

/** The ConfigMap's allow-snippet-annotations: can only turn snippets off again (--allow-snippet-annotations turns them on). */
export interface SnippetsGlobals {
  allowSnippetAnnotations: boolean;
}

declare module '../model/types.js' {
  interface FeatureValues {
    snippets: SnippetsAnnotation;
  }
}
declare module '../model/config.js' {
  interface FeatureGlobals {
    snippets: SnippetsGlobals;
  }
}

export const snippetFeature: Feature<SnippetsAnnotation, SnippetsGlobals> = {
  name: 'snippet',
  keys: ['configuration-snippet', 'server-snippet'],
  serverKeys: (v) => (v.server ? ['server-snippet'] : []),
  hooks: {
    // A snippet's own proxy_set_header (in the location, or in the server it inherits from) replaces the http{} set.
    setsProxyHeader: (location, server) => /proxy_set_header/i.test(server.serverAnnotations?.snippets.server ?? '') || /proxy_set_header/i.test(location.annotations.snippets.configuration ?? ''),
  },
  globals: globalsByKey<SnippetsGlobals>({ allowSnippetAnnotations: true }, { 'allow-snippet-annotations': boolGlobal('allowSnippetAnnotations') }),
  parse(input, globals) {
    const configuration = input.get('configuration-snippet');
    const server = input.get('server-snippet');
    if (configuration === undefined && server === undefined) return NONE;
    const allowed = input.options.allowSnippetAnnotations && globals.allowSnippetAnnotations;
    if (!allowed) {
      for (const [key, v] of [['configuration-snippet', configuration], ['server-snippet', server]] as const) {
        if (v !== undefined) input.warn(`${key} is ignored: snippet annotations are not allowed (--allow-snippet-annotations)`);
      }
      return NONE;
    }
    for (const [key, v] of [['configuration-snippet', configuration], ['server-snippet', server]] as const) {
      if (v === undefined) continue;
      const reason = checkSnippet(v);
      if (reason) throw new AnnotationError(key, reason);
    }
    const tidy = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.replace(/\s+$/, ''));
    return { configuration: tidy(configuration), server: tidy(server) };
  },
};
