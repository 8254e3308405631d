// Replays kubernetes/ingress-nginx test/e2e/ingress/pathtype_prefix.go ("[Ingress] [PathType] prefix checks")
// as real requests through Portico's render pipeline, a real nginx and an echo backend: Prefix paths, and
// Prefix paths that use-regex turns into regexes anchored at the start.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const REGEX = { 'nginx.ingress.kubernetes.io/use-regex': 'true' };

/** Each It: its host, Ingress path, whether use-regex is set, and the statuses it expects per request path. */
const CASES: Array<{ it: string; host: string; path: string; regex: boolean; expect: Array<[string, number]> }> = [
  { it: 'should return 404 when prefix /aaa does not match request /aaaccc', host: 'prefix.path', path: '/aaa', regex: false, expect: [['/aaa', 200], ['/aaacccc', 404], ['/aaa/cccc', 200], ['/aaa/', 200]] },
  { it: 'should test prefix path using simple regex pattern for /id/{int}', host: 'echo.com.br', path: '/id/[0-9]+', regex: true, expect: [['/id/1', 200], ['/id/12', 200], ['/id/123', 200], ['/id/aaa', 404], ['/id/123a', 200]] },
  { it: 'should test prefix path using regex pattern for /id/{int} ignoring non-digits characters at end of string', host: 'echo.regex.br', path: '/id/[0-9]+$', regex: true, expect: [['/id/1', 200], ['/id/aaa', 404], ['/id/123a', 404]] },
  { it: 'should test prefix path using fixed path size regex pattern /id/{int}{3}', host: 'echo.regex.size.br', path: '/id/[0-9]{3}$', regex: true, expect: [['/id/99', 404], ['/id/123', 200], ['/id/9999', 404], ['/id/123a', 404]] },
  { it: 'should correctly route multi-segment path patterns', host: 'echo.regex.multi.segment.br', path: '/id/[0-9]+/post/[a-zA-Z]+$', regex: true, expect: [['/id/123/post/abc', 200], ['/id/123/post/abc123', 404], ['/id/abc/post/abc', 404]] },
];

describe('ingress-nginx ingress/pathtype_prefix.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      ...CASES.map((c) => singleIngress(c.host.replace(/\./g, '-'), c.host, 'echo', { path: c.path, annotations: c.regex ? REGEX : undefined })),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  for (const c of CASES) {
    test(c.it, async () => {
      expect(s.model.rejections).toEqual([]);
      const seen: Array<[string, number]> = [];
      for (const [path] of c.expect) seen.push([path, (await s.get(c.host, path)).status]);
      expect(seen).toEqual(c.expect);
    });
  }
});
