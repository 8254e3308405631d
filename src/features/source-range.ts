import { parseCidrList } from '../model/validate.js';
import { AnnotationError, globalsByKey, type Feature } from './feature.js';

/**
 * whitelist-source-range / allowlist-source-range / denylist-source-range: client address filtering
 * with nginx's access module (`deny` entries first, then `allow` entries and `deny all`). Requests from
 * other clients get 403. The global ConfigMap keys of the same names apply to Ingresses that set none.
 */
export interface SourceRangeAnnotation {
  /** CIDRs or addresses allowed; empty means everyone (unless denied). */
  allow: string[];
  /** CIDRs or addresses refused, checked before `allow`. */
  deny: string[];
}

/** The ConfigMap's lists: for every Ingress that sets none. */
export type SourceRangeGlobals = SourceRangeAnnotation;

const globalList =
  (field: keyof SourceRangeGlobals) =>
  (globals: SourceRangeGlobals, value: string): string | undefined => {
    const { cidrs, reason } = parseCidrList(value);
    if (reason) return reason;
    globals[field] = cidrs;
    return undefined;
  };

declare module '../model/types.js' {
  interface FeatureValues {
    sourceRange: SourceRangeAnnotation;
  }
}
declare module '../model/config.js' {
  interface FeatureGlobals {
    sourceRange: SourceRangeGlobals;
  }
}

export const sourceRangeFeature: Feature<SourceRangeAnnotation, SourceRangeGlobals> = {
  name: 'source-range',
  keys: ['whitelist-source-range', 'allowlist-source-range', 'denylist-source-range'],
  globals: globalsByKey<SourceRangeGlobals>(
    { allow: [], deny: [] },
    {
      'whitelist-source-range': globalList('allow'),
      'allowlist-source-range': globalList('allow'),
      'denylist-source-range': globalList('deny'),
    },
  ),
  parse(input, globals) {
    const list = (key: string): string[] | undefined => {
      const raw = input.get(key);
      if (raw === undefined) return undefined;
      const { cidrs, reason } = parseCidrList(raw);
      if (reason) throw new AnnotationError(key, reason);
      return cidrs;
    };
    const allowlist = list('allowlist-source-range');
    const whitelist = list('whitelist-source-range');
    if (allowlist !== undefined && whitelist !== undefined) {
      input.warn('both allowlist-source-range and whitelist-source-range are set; allowlist-source-range is used');
    }
    const denylist = list('denylist-source-range');
    return { allow: allowlist ?? whitelist ?? globals.allow, deny: denylist ?? globals.deny };
  },
};
