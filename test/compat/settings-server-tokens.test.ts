// Replays kubernetes/ingress-nginx test/e2e/settings/server_tokens.go ("server-tokens") as real requests
// through Portico's render pipeline (with the headers-more module the CLI finds, Debian's
// libnginx-mod-http-headers-more-filter, installed by scripts/install-deps.sh), a real nginx and an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { installedHeadersMore } from '../../src/cli/options.js';
import { DEFAULT_MODEL_OPTIONS } from '../../src/model/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'server-tokens';

describe('ingress-nginx settings/server_tokens.go', () => {
  let backends: Backends;
  const scenarios: Scenario[] = [];
  const headersMoreModule = installedHeadersMore(DEFAULT_MODEL_OPTIONS.nginxModulesDir!);
  const start = async (serverTokens: string): Promise<Scenario> => {
    const objects = [INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), singleIngress(HOST, HOST, 'echo'), configMap({ 'server-tokens': serverTokens })];
    const s = await startScenario(objects, { ...CONFIGMAP_REF, headersMoreModule });
    scenarios.push(s);
    return s;
  };

  beforeAll(async () => {
    backends = await startBackends('echo');
  });
  afterAll(async () => {
    for (const s of scenarios) await s.stop();
    await backends?.stopAll();
  });

  test('the headers-more module is installed (scripts/install-deps.sh, the Dockerfile)', () => {
    expect(headersMoreModule).toBe('/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so');
  });

  // It("should not exists Server header in the response")
  test('should not exists Server header in the response', async () => {
    const s = await start('false');
    expect(s.conf).toContain('server_tokens off;');
    const proxied = await s.get(HOST, '/');
    expect([proxied.status, proxied.headers.server]).toEqual([200, undefined]);
    // nginx's own answers too (no rule matches: 404).
    const own = await s.get('unknown.host', '/');
    expect([own.status, own.headers.server]).toEqual([404, undefined]);
  });

  // It("should exists Server header in the response when is enabled")
  test('should exists Server header in the response when is enabled', async () => {
    const s = await start('true');
    expect(s.conf).toContain('server_tokens on;');
    expect((await s.get(HOST, '/')).headers.server).toMatch(/^nginx\/\d+\.\d+\.\d+/);
  });
});
