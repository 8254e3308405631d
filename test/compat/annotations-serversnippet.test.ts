// Replays kubernetes/ingress-nginx test/e2e/annotations/serversnippet.go ("server-snippet") as real requests
// through Portico's render pipeline, a real nginx (with headers-more, as ingress-nginx's) and an echo backend.
// Snippets are off by default in both (ingress-nginx since 1.9: allow-snippet-annotations "false"); the
// e2e turns them on in its ConfigMap, Portico with --allow-snippet-annotations (allowSnippetAnnotations).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { installedHeadersMore } from '../../src/cli/options.js';
import { DEFAULT_MODEL_OPTIONS } from '../../src/model/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
// As `portico render` and `portico run` pass it: headers-more, when installed, is loaded (server-tokens "false").
const headersMoreModule = installedHeadersMore(DEFAULT_MODEL_OPTIONS.nginxModulesDir!);
const SNIPPET = `
  more_set_headers "Foo: Bar";
  more_set_headers "Xpto: Lalala";`;

describe('ingress-nginx annotations/serversnippet.go', () => {
  let backends: Backends;
  const scenarios: Scenario[] = [];
  const start = async (host: string, options: Parameters<typeof startScenario>[1], data?: Record<string, string>): Promise<Scenario> => {
    const s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      singleIngress(host, host, 'echo', { annotations: { [`${P}/server-snippet`]: SNIPPET } }),
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

  // It("add valid directives to server via server snippet")
  test('add valid directives to server via server snippet', async () => {
    const s = await start('serversnippet.foo.com', { allowSnippetAnnotations: true });
    const r = await s.get('serversnippet.foo.com', '/');
    expect([r.status, r.headers.foo, r.headers.xpto]).toEqual([200, 'Bar', 'Lalala']);
  });

  // It("drops server snippet if disabled by the administrator"): allow-snippet-annotations "false" in the ConfigMap.
  test('drops server snippet if disabled by the administrator', async () => {
    const s = await start('noserversnippet.foo.com', { allowSnippetAnnotations: true, ...CONFIGMAP_REF }, { 'allow-snippet-annotations': 'false' });
    const r = await s.get('noserversnippet.foo.com', '/');
    expect([r.status, r.headers.foo, r.headers.xpto]).toEqual([200, undefined, undefined]);
  });

  // The default of both: no flag, no ConfigMap key, the snippet is dropped and the Ingress still served.
  test('drops server snippet by default', async () => {
    const s = await start('defaultserversnippet.foo.com', {});
    const r = await s.get('defaultserversnippet.foo.com', '/');
    expect([r.status, r.headers.foo, r.headers.xpto]).toEqual([200, undefined, undefined]);
    expect(s.model.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/server-snippet/));
  });
});
