// Replays kubernetes/ingress-nginx test/e2e/settings/proxy_host.go ("Dynamic $proxy_host") as real requests
// through Portico's render pipeline, a real nginx (with headers-more) and an echo backend: a snippet sends
// nginx's $proxy_host back as a response header. ingress-nginx sets it to its upstream's name
// (NAMESPACE-SERVICE-80-noncanary); in Portico it is the upstream proxy_pass names (NAMESPACE.SERVICE.80).
// The point of both Its holds: it names the upstream, and upstream-vhost (the Host sent upstream) leaves it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { installedHeadersMore } from '../../src/cli/options.js';
import { DEFAULT_MODEL_OPTIONS } from '../../src/model/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const TEST = 'proxy-host';
const SNIPPET = 'more_set_headers "Custom-Header: $proxy_host";';

describe('ingress-nginx settings/proxy_host.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario(
      [
        INGRESS_CLASS,
        ...serviceFor('default', 'echo', [backends.by.echo!]),
        singleIngress(TEST, TEST, 'echo', { annotations: { [`${P}/configuration-snippet`]: SNIPPET } }),
        singleIngress(`${TEST}-vhost`, `${TEST}-vhost`, 'echo', { annotations: { [`${P}/configuration-snippet`]: SNIPPET, [`${P}/upstream-vhost`]: 'different.host' } }),
      ],
      { allowSnippetAnnotations: true, headersMoreModule: installedHeadersMore(DEFAULT_MODEL_OPTIONS.nginxModulesDir!) },
    );
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should exist a proxy_host")
  test('should exist a proxy_host', async () => {
    const r = await s.get(TEST, '/');
    expect([r.status, r.headers['custom-header']]).toEqual([200, 'default.echo.80']);
  });

  // It("should exist a proxy_host using the upstream-vhost annotation value")
  test('should exist a proxy_host using the upstream-vhost annotation value', async () => {
    const r = await s.get(`${TEST}-vhost`, '/');
    expect([r.status, r.headers['custom-header'], r.echo?.host]).toEqual([200, 'default.echo.80', 'different.host']);
  });
});
