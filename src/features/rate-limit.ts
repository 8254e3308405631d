import { AnnotationError, fallBack, globalsByKey, type Feature } from './feature.js';

/**
 * limit-rps, limit-rpm, limit-connections and limit-burst-multiplier, per client address and per replica,
 * as ingress-nginx documents them: burst = limit × multiplier (default 5), nodelay, and 503 over the
 * limit. Each Ingress has its own zones, declared at http level, named from its validated namespace/name.
 */
export interface RateLimitAnnotation {
  rps: { zone: string; rate: number; burst: number } | undefined;
  rpm: { zone: string; rate: number; burst: number } | undefined;
  connections: { zone: string; limit: number } | undefined;
  /** limit-rate and limit-rate-after in KB (nginx `k`), the ConfigMap's when the Ingress sets none; 0: not written. */
  rate: number;
  rateAfter: number;
}

const KB_MAX = 1_000_000_000;

/** A whole number of KB, or a reason. */
function kilobytes(value: string): number | string {
  const v = value.trim();
  if (!/^\d{1,10}$/.test(v) || Number(v) > KB_MAX) return `must be a whole number of KB from 0 to ${KB_MAX}`;
  return Number(v);
}

/** The ConfigMap's limit-rate and limit-rate-after (KB; 0: no limit), for Ingresses that set none. */
export interface RateLimitGlobals {
  limitRate: number;
  limitRateAfter: number;
}

function kilobytesKey(field: keyof RateLimitGlobals) {
  return (globals: RateLimitGlobals, value: string): string | undefined => {
    const n = kilobytes(value);
    if (typeof n === 'string') return n;
    globals[field] = n;
    return undefined;
  };
}

const DEFAULT_BURST_MULTIPLIER = 5;

function positive(key: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (!/^\d{1,9}$/.test(v)) throw new AnnotationError(key, 'must be a whole number');
  const n = Number(v);
  if (n > max) throw new AnnotationError(key, `must be at most ${max}`);
  // ingress-nginx treats 0 as "no limit".
  return n === 0 ? undefined : n;
}

declare module '../model/types.js' {
  interface FeatureValues {
    rateLimit: RateLimitAnnotation;
  }
}
declare module '../model/config.js' {
  interface FeatureGlobals {
    rateLimit: RateLimitGlobals;
  }
}

export const rateLimitFeature: Feature<RateLimitAnnotation, RateLimitGlobals> = {
  name: 'rate-limit',
  keys: ['limit-rps', 'limit-rpm', 'limit-connections', 'limit-burst-multiplier', 'limit-rate', 'limit-rate-after'],
  globals: globalsByKey<RateLimitGlobals>({ limitRate: 0, limitRateAfter: 0 }, { 'limit-rate': kilobytesKey('limitRate'), 'limit-rate-after': kilobytesKey('limitRateAfter') }),
  parse(input, globals) {
    // As ingress-nginx: the response rate to each client (limit_rate), after a first part sent at full speed
    // (limit_rate_after), in KB; a malformed value keeps the ConfigMap's (else 0, no limit), with a warning.
    const rateKey = (key: string, field: keyof RateLimitGlobals): number => {
      const fallback = globals[field];
      const raw = input.get(key);
      if (raw === undefined) return fallback;
      const n = kilobytes(raw);
      return typeof n === 'number' ? n : (fallBack(input, key, raw, n, 'the default (ConfigMap or 0, no limit)') ?? fallback);
    };
    const rps = positive('limit-rps', input.get('limit-rps'), 1000000);
    const rpm = positive('limit-rpm', input.get('limit-rpm'), 60000000);
    const connections = positive('limit-connections', input.get('limit-connections'), 1000000);
    const multiplier = positive('limit-burst-multiplier', input.get('limit-burst-multiplier'), 1000) ?? DEFAULT_BURST_MULTIPLIER;
    // Namespace (DNS label) and name (DNS subdomain) are validated: [a-z0-9.-] only, so zone names are unique.
    const id = `${input.ref.namespace}_${input.ref.name}`;
    return {
      rps: rps === undefined ? undefined : { zone: `portico_rps_${id}`, rate: rps, burst: rps * multiplier },
      rpm: rpm === undefined ? undefined : { zone: `portico_rpm_${id}`, rate: rpm, burst: rpm * multiplier },
      connections: connections === undefined ? undefined : { zone: `portico_conn_${id}`, limit: connections },
      rate: rateKey('limit-rate', 'limitRate'),
      rateAfter: rateKey('limit-rate-after', 'limitRateAfter'),
    };
  },
};
