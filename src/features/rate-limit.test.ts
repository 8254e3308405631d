import { describe, expect, test } from '@jest/globals';
import { rateLimitFeature } from './rate-limit.js';
import { AnnotationError, type AnnotationInput } from './feature.js';

function parse(annotations: Record<string, string>) {
  const input = { ref: { namespace: 'web', name: 'shop.v2' }, get: (k: string) => annotations[k] } as unknown as AnnotationInput;
  try {
    return { result: rateLimitFeature.parse(input, {}) };
  } catch (err) {
    if (err instanceof AnnotationError) return { error: err };
    throw err;
  }
}

describe('rate-limit annotations', () => {
  test('none by default; 0 means no limit', () => {
    expect(parse({}).result).toEqual({ rps: undefined, rpm: undefined, connections: undefined });
    expect(parse({ 'limit-rps': '0' }).result?.rps).toBeUndefined();
  });

  test('burst = limit × multiplier (default 5); zones are named after the Ingress', () => {
    expect(parse({ 'limit-rps': '10', 'limit-rpm': '300', 'limit-connections': '4' }).result).toEqual({
      rps: { zone: 'portico_rps_web_shop.v2', rate: 10, burst: 50 },
      rpm: { zone: 'portico_rpm_web_shop.v2', rate: 300, burst: 1500 },
      connections: { zone: 'portico_conn_web_shop.v2', limit: 4 },
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
});
