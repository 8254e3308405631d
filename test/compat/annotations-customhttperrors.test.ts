// Replays kubernetes/ingress-nginx test/e2e/annotations/customhttperrors.go ("custom-http-errors") and the
// error-page headers of its nginx.tmpl, as real requests through Portico's render pipeline and a real nginx.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const HOST = 'customerrors.foo.com';
const P = 'nginx.ingress.kubernetes.io';

describe('ingress-nginx annotations/customhttperrors.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo', 'from-annotation');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      ...serviceFor('default', 'from-annotation', [backends.by['from-annotation']!]),
      singleIngress(HOST, HOST, 'echo', { annotations: { [`${P}/custom-http-errors`]: '404, 503', [`${P}/default-backend`]: 'from-annotation' } }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("configures Nginx correctly when enabled"): "using the custom default-backend from annotation for upstream",
  // proxy_intercept_errors on and one error location per code; here the statuses are really intercepted.
  test('configures Nginx correctly when enabled: the listed statuses are rendered by the default-backend', async () => {
    expect(s.conf).toContain('proxy_intercept_errors on;');
    const r = await s.get(HOST, '/page', { headers: { 'x-echo-status': '404' } });
    expect([r.status, r.echo?.service, r.echo?.headers['x-code']]).toEqual([404, 'from-annotation', '404']);
    const other = await s.get(HOST, '/page', { headers: { 'x-echo-status': '500' } });
    expect([other.status, other.echo?.service]).toEqual([500, 'echo']);
  });

  // nginx.tmpl's @custom_ location: X-Service-Name and X-Service-Port of the location's Service, and
  // X-Request-ID from $req_id (the client's X-Request-ID when it sent one).
  test('the error backend gets X-Service-Name/-Port and the client\'s X-Request-ID', async () => {
    const r = await s.get(HOST, '/page', { headers: { 'x-echo-status': '503', 'X-Request-ID': 'client-id-42' } });
    expect(r.echo?.service).toBe('from-annotation');
    expect([r.echo?.headers['x-service-name'], r.echo?.headers['x-service-port'], r.echo?.headers['x-request-id']]).toEqual(['echo', '80', 'client-id-42']);
    // Without one, nginx makes an id: 32 hex digits.
    const own = await s.get(HOST, '/page', { headers: { 'x-echo-status': '503' } });
    expect(own.echo?.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    // The application backend gets the same id as the error backend would.
    const app = await s.get(HOST, '/page', { headers: { 'X-Request-ID': 'client-id-43' } });
    expect([app.echo?.service, app.echo?.headers['x-request-id']]).toEqual(['echo', 'client-id-43']);
  });
});
