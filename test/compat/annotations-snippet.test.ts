// Replays kubernetes/ingress-nginx test/e2e/annotations/snippet.go ("configuration-snippet") as real
// requests through Portico's render pipeline, a real nginx (with headers-more, as ingress-nginx's) and an
// echo backend (httpbun there). Snippets are off by default in both (ingress-nginx since 1.9); the e2e
// allows them in its ConfigMap, Portico with --allow-snippet-annotations (allowSnippetAnnotations).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { installedHeadersMore } from '../../src/cli/options.js';
import { DEFAULT_MODEL_OPTIONS } from '../../src/model/types.js';
import { INGRESS_CLASS, renderChecked, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
// As `portico render` and `portico run` pass it: headers-more, when installed, is loaded (server-tokens "false").
const headersMoreModule = installedHeadersMore(DEFAULT_MODEL_OPTIONS.nginxModulesDir!);
const SNIPPET = 'more_set_headers "Foo1: Bar1";';

describe('ingress-nginx annotations/snippet.go', () => {
  let backends: Backends;
  const scenarios: Scenario[] = [];
  const start = async (host: string, options: Parameters<typeof startScenario>[1], data?: Record<string, string>): Promise<Scenario> => {
    const s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      singleIngress(host, host, 'echo', { annotations: { [`${P}/configuration-snippet`]: SNIPPET } }),
      ...(data ? [configMap(data)] : []),
    ], { headersMoreModule, ...options });
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

  // It("set snippet more_set_headers in all locations")
  test('set snippet more_set_headers in all locations', async () => {
    const s = await start('configurationsnippet.foo.com', { allowSnippetAnnotations: true });
    const r = await s.get('configurationsnippet.foo.com', '/');
    expect([r.status, r.headers.foo1]).toEqual([200, 'Bar1']);
  });

  // It("drops snippet more_set_header in all locations if disabled by admin"): allow-snippet-annotations "false".
  test('drops snippet more_set_header in all locations if disabled by admin', async () => {
    const s = await start('noconfigurationsnippet.foo.com', { allowSnippetAnnotations: true, ...CONFIGMAP_REF }, { 'allow-snippet-annotations': 'false' });
    const r = await s.get('noconfigurationsnippet.foo.com', '/');
    expect([r.status, r.headers.foo1]).toEqual([200, undefined]);
  });

  // Difference: ingress-nginx's nginx has headers-more built in; Portico loads Debian's module only for
  // server-tokens "false" (its default), so with "true" a more_set_headers snippet fails `nginx -t`
  // (README, "Differences from ingress-nginx").
  test('with server-tokens "true" a more_set_headers snippet fails nginx -t', async () => {
    const objects = [INGRESS_CLASS, singleIngress('tokens', 'tokens.foo.com', 'echo', { annotations: { [`${P}/configuration-snippet`]: SNIPPET } }), configMap({ 'server-tokens': 'true' })];
    await expect(renderChecked(objects, { headersMoreModule, allowSnippetAnnotations: true, ...CONFIGMAP_REF })).rejects.toThrow(/unknown directive "more_set_headers"/);
  });

  // The default of both: no flag, no ConfigMap key, the snippet is dropped and the Ingress still served.
  test('drops snippet by default', async () => {
    const s = await start('defaultconfigurationsnippet.foo.com', {});
    const r = await s.get('defaultconfigurationsnippet.foo.com', '/');
    expect([r.status, r.headers.foo1]).toEqual([200, undefined]);
    expect(s.model.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/configuration-snippet/));
  });
});
