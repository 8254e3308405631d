// Replays kubernetes/ingress-nginx test/e2e/annotations/affinitymode.go ("affinitymode") as real requests
// through Portico's render pipeline, a real nginx and echo backends standing in for the replicas.
// Difference (README, "Partial or not supported"): Portico's cookie is a key for consistent hashing, so
// `persistent` behaves as `balanced` (a warning): while the endpoints stay the same a session stays on its
// endpoint, and it moves when its endpoint goes; when endpoints are added about 1/N of sessions move, where
// ingress-nginx's persistent mode keeps every one (that step of the It is not asserted here).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/store/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const REPLICAS = ['r1', 'r2', 'r3', 'r4', 'r5'];
const NEW_REPLICAS = ['n1', 'n2'];

const annotations = (mode: string) => ({
  [`${P}/affinity`]: 'cookie',
  [`${P}/session-cookie-name`]: 'hello-cookie',
  [`${P}/session-cookie-expires`]: '172800',
  [`${P}/session-cookie-max-age`]: '172800',
  [`${P}/ssl-redirect`]: 'false',
  [`${P}/affinity-mode`]: mode,
  [`${P}/session-cookie-hash`]: 'sha1',
});

describe('ingress-nginx annotations/affinitymode.go', () => {
  let backends: Backends;
  const scenarios: Scenario[] = [];
  /** The Service is named after ingress-nginx's deployment (affinitybalanceecho, affinitypersistentecho). */
  const objects = (host: string, service: string, mode: string, replicas: string[]): KubeObject[] => [
    INGRESS_CLASS,
    // With no replica the Service stays, without endpoints (the deployment scaled to 0).
    ...serviceFor('default', service, replicas.map((n) => backends.by[n]!)),
    singleIngress(host, host, service, { annotations: annotations(mode) }),
  ];

  beforeAll(async () => {
    backends = await startBackends(...REPLICAS, ...NEW_REPLICAS);
  });
  afterAll(async () => {
    for (const s of scenarios) await s.stop();
    await backends?.stopAll();
  });

  // It("Balanced affinity mode should balance")
  test('Balanced affinity mode should balance', async () => {
    const host = 'affinity-mode-balance.com';
    const s = await startScenario(objects(host, 'affinitybalanceecho', 'balanced', REPLICAS));
    scenarios.push(s);
    expect(s.model.rejections).toEqual([]);
    // session-cookie-hash is a key Portico does not have (the cookie value is random, nothing to hash).
    expect(s.model.warnings.map((w) => w.message)).toEqual([expect.stringContaining('session-cookie-hash')]);
    const r = await s.get(host, '/');
    expect(r.status).toBe(200);
    expect(String(r.headers['set-cookie'])).toMatch(/^hello-cookie=[0-9a-f]{32};/);
  });

  // It("Check persistent affinity mode")
  test('Check persistent affinity mode', async () => {
    const host = 'affinity-mode-persistent.com';
    const s = await startScenario(objects(host, 'affinitypersistentecho', 'persistent', REPLICAS));
    scenarios.push(s);
    expect(s.model.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('affinity-mode: persistent is not available'));
    const first = await s.get(host, '/');
    const original = first.echo!.service;
    const cookie = String([first.headers['set-cookie']].flat()[0]).split(';')[0]!;
    // The cookie keeps the session on the endpoint that answered first.
    for (let i = 0; i < 10; i++) expect((await s.get(host, '/', { headers: { cookie } })).echo!.service).toBe(original);
    // No endpoint left: 503.
    await s.update(objects(host, 'affinitypersistentecho', 'persistent', []));
    expect((await s.get(host, '/', { headers: { cookie } })).status).toBe(503);
    // Brand new endpoints: one of them answers, never the original.
    await s.update(objects(host, 'affinitypersistentecho', 'persistent', NEW_REPLICAS));
    const after = await s.get(host, '/', { headers: { cookie } });
    expect(after.status).toBe(200);
    expect(NEW_REPLICAS).toContain(after.echo!.service);
  });
});
