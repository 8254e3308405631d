import { parseBool } from '../model/validate.js';
import { AnnotationError, type Feature } from './feature.js';

export interface RewriteAnnotation {
  /** The URI sent upstream, with `$1..$9` from the path regex. */
  target?: string;
  /** use-regex, or implied by a rewrite-target: the host's paths become case-insensitive regexes. */
  regex: boolean;
}

/** Path characters plus `?` and `&` for a query, and `$N` capture references (checked below). */
const TARGET_RE = /^[A-Za-z0-9\-._~%!&()*+,=:@/?$]*$/;

function checkRewriteTarget(value: string): string | undefined {
  if (value.length > 2048) return 'longer than 2048 characters';
  if (!TARGET_RE.test(value)) return 'only URI path characters and $1..$9 capture references are allowed';
  if (/\$(?![1-9])/.test(value)) return '"$" must be followed by a capture group number 1-9';
  if (!value.startsWith('/') && !/^https?:\/\//.test(value) && !value.startsWith('$')) {
    return 'must start with "/" or a capture reference';
  }
  return undefined;
}

declare module '../model/types.js' {
  interface FeatureValues {
    rewrite: RewriteAnnotation;
  }
}

export const rewriteTargetFeature: Feature<RewriteAnnotation> = {
  name: 'rewrite-target',
  keys: ['rewrite-target', 'use-regex'],
  hooks: { rewriteTarget: (values) => values.rewrite.target },
  // The default backend's `/` location is not rewritten (as ingress-nginx keeps rewrites off its catch-all).
  onDefaultBackend: (v) => ({ ...v, target: undefined }),
  // A rewrite-target alone implies regex mode; use-regex is named when it is set too.
  regexPaths: (v, get) => (!v.regex ? undefined : parseBool(String(get('use-regex') ?? '')) === true || v.target === undefined ? 'use-regex' : 'rewrite-target'),
  parse(input) {
    const useRegexRaw = input.get('use-regex');
    let useRegex = false;
    if (useRegexRaw !== undefined) {
      const b = parseBool(useRegexRaw);
      if (b === undefined) throw new AnnotationError('use-regex', 'must be "true" or "false"');
      useRegex = b;
    }
    let target = input.get('rewrite-target');
    if (target !== undefined && target.trim() === '') {
      // ingress-nginx treats an empty rewrite-target as unset: no rewrite, and no regex mode implied.
      input.warn('annotation rewrite-target is empty; no rewrite is done, as in ingress-nginx');
      target = undefined;
    }
    if (target !== undefined) {
      const reason = checkRewriteTarget(target);
      if (reason) throw new AnnotationError('rewrite-target', reason);
    }
    return { target, regex: useRegex || target !== undefined };
  },
};
