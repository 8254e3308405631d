import { describe, expect, test } from '@jest/globals';
import { rateLimitFeature, type RateLimitGlobals } from './rate-limit.js';
import { AnnotationError, type AnnotationInput } from './feature.js';

/** `globals`: the ConfigMap's limit-rate / limit-rate-after (config.rateLimit); unset, 0 (no limit). */
function parse(annotations: Record<string, string>, globals: Partial<RateLimitGlobals> = {}, warnings: string[] = []) {
  const input = {
    ref: { namespace: 'web', name: 'shop.v2' },
    get: (k: string) => annotations[k],
    warn: (m: string) => warnings.push(m),
  } as unknown as AnnotationInput;
  try {
    return { result: rateLimitFeature.parse(input, { limitRate: 0, limitRateAfter: 0, ...globals }) };
  } catch (err) {
    if (err instanceof AnnotationError) return { error: err };
    throw err;
  }
}

describe('rate-limit annotations', () => {
  test('none by default; 0 means no limit', () => {
    expect(parse({}).result).toEqual({ rps: undefined, rpm: undefined, connections: undefined, rate: 0, rateAfter: 0 });
    expect(parse({ 'limit-rps': '0' }).result?.rps).toBeUndefined();
  });

  test('burst = limit × multiplier (default 5); zones are named after the Ingress', () => {
    expect(parse({ 'limit-rps': '10', 'limit-rpm': '300', 'limit-connections': '4' }).result).toEqual({
      rps: { zone: 'portico_rps_web_shop.v2', rate: 10, burst: 50 },
      rpm: { zone: 'portico_rpm_web_shop.v2', rate: 300, burst: 1500 },
      connections: { zone: 'portico_conn_web_shop.v2', limit: 4 },
      rate: 0,
      rateAfter: 0,
    });
    expect(parse({ 'limit-rps': '3', 'limit-burst-multiplier': '2' }).result?.rps?.burst).toBe(6);
  });

  test.each([
    ['limit-rps', '1.5'],
    ['limit-rps', '-1'],
    ['limit-rps', '10r/s'],
    ['limit-rpm', '5; limit_req_zone x'],
    ['limit-connections', '1e3'],
    ['limit-connections', '2000000'],
    ['limit-burst-multiplier', 'x'],
  ])('%s %j is rejected', (key, value) => {
    expect(parse({ [key]: value }).error?.annotation).toBe(key);
  });

  test('limit-rate and limit-rate-after in KB; the ConfigMap value when unset; a malformed value keeps it, with a warning', () => {
    expect(parse({ 'limit-rate': '90', 'limit-rate-after': '512' }).result).toMatchObject({ rate: 90, rateAfter: 512 });
    expect(parse({}, { limitRate: 7, limitRateAfter: 3 }).result).toMatchObject({ rate: 7, rateAfter: 3 });
    expect(parse({ 'limit-rate': '0' }, { limitRate: 7 }).result).toMatchObject({ rate: 0 });
    const warnings: string[] = [];
    expect(parse({ 'limit-rate': '10m' }, { limitRate: 7 }, warnings).result).toMatchObject({ rate: 7 });
    expect(warnings).toEqual([expect.stringContaining('annotation limit-rate: "10m" must be a whole number of KB')]);
    expect(parse({ 'limit-rate-after': '1;x' }).error?.annotation).toBe('limit-rate-after');
  });
});
