// Shared by the replays of ingress-nginx's annotations/limitrate.go and settings/limit_rate.go, which hold the
// same test once through the annotation and once through the ConfigMap key.
import { expect } from '@jest/globals';
import type { Scenario } from '../support/scenario.js';

/** 5 KB in the request body: the echo backend's answer carries it back, so the response is a little larger. */
export const BODY = 'x'.repeat(5 * 1024);

/**
 * POSTs BODY and returns the reply with how long it took. nginx's limit_rate lets rate × (whole seconds since the
 * request began + 1) bytes out, so at 1 KB/s the 5 KB answer cannot be complete in under 3 s; the bound is
 * only ever a lower one (a loaded machine is slower, never faster).
 */
export async function timedPost(s: Scenario, host: string): Promise<{ status: number; bodyLength: number; ms: number }> {
  const started = Date.now();
  const r = await s.get(host, '/', { method: 'POST', body: BODY, headers: { 'content-type': 'text/plain' } });
  return { status: r.status, bodyLength: r.body.length, ms: Date.now() - started };
}

/** At 1 KB/s: the whole answer arrives (200, the body echoed back) and it took at least 2 s. */
export async function expectThrottled(s: Scenario, host: string): Promise<void> {
  const r = await timedPost(s, host);
  expect(r.status).toBe(200);
  expect(r.bodyLength).toBeGreaterThan(BODY.length);
  expect(r.ms).toBeGreaterThanOrEqual(2000);
}
