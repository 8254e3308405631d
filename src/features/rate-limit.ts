import { AnnotationError, type Feature } from './feature.js';

/**
 * limit-rps, limit-rpm, limit-connections and limit-burst-multiplier, per client address and per replica,
 * as ingress-nginx documents them: burst = limit × multiplier (default 5), nodelay, and 503 over the
 * limit. Each Ingress has its own zones, declared at http level, named from its validated namespace/name.
 */
export interface RateLimitAnnotation {
  rps: { zone: string; rate: number; burst: number } | undefined;
  rpm: { zone: string; rate: number; burst: number } | undefined;
  connections: { zone: string; limit: number } | undefined;
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

export const rateLimitFeature: Feature<RateLimitAnnotation> = {
  name: 'rate-limit',
  keys: ['limit-rps', 'limit-rpm', 'limit-connections', 'limit-burst-multiplier'],
  parse(input) {
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
    };
  },
};
