import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkAuthorRegex, compileRegex, PATH_DIALECT } from '../src/model/regex.js';
import type { KubeObject } from '../src/store/types.js';
import { startController } from './support/controller.js';
import { request } from './support/http.js';
import { nginxTest, startNginx, tempWorkDir } from './support/nginx.js';
import { freePort, waitFor } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from './support/scenario.js';

/**
 * Issue 11, items 1 and 9: regexes and hosts that froze render or that nginx refuses. Everything goes
 * through the built `portico render` as a child process with a kill timeout, so a regression that hangs
 * fails here instead of hanging the suite; every config it writes is checked with the real nginx -t.
 */
const CLI = resolve('dist/cli/main.js');
const P = 'nginx.ingress.kubernetes.io';
/** Far above a normal render (well under a second), far below jest's timeout. */
const RENDER_KILL_MS = 20_000;

type PathSpec = { path: string; pathType?: string; service?: string };

function ingress(name: string, host: string, paths: PathSpec[], annotations: Record<string, string> = {}, created = '2026-01-01T00:00:00Z'): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', annotations, creationTimestamp: created },
    spec: {
      ingressClassName: 'portico',
      rules: [
        {
          host,
          http: { paths: paths.map((p) => ({ path: p.path, pathType: p.pathType ?? 'Prefix', backend: { service: { name: p.service ?? 'app', port: { number: 80 } } } })) },
        },
      ],
    },
  } as KubeObject;
}

interface Rendered {
  exitCode: number | undefined;
  stderr: string;
  conf: string;
  state: string;
  out: string;
  httpPort: number;
}

async function render(objects: KubeObject[]): Promise<Rendered> {
  const dir = await tempWorkDir('portico-hardening-regex-');
  const file = join(dir, 'manifests.yaml');
  // JSON documents are YAML documents.
  await writeFile(file, objects.map((o) => JSON.stringify(o)).join('\n---\n'));
  const state = join(dir, 'state');
  const out = join(dir, 'nginx.conf');
  const httpPort = await freePort();
  const args = ['render', '--manifests', file, '--state-dir', state, '--http-port', String(httpPort), '--https-port', String(await freePort()), '--out', out];
  const r = await execa('node', [CLI, ...args], { reject: false, timeout: RENDER_KILL_MS, killSignal: 'SIGKILL' });
  expect(r.timedOut).toBe(false);
  return { exitCode: r.exitCode, stderr: r.stderr, conf: await readFile(out, 'utf8').catch(() => ''), state, out, httpPort };
}

/** A DNS name of exactly `length` characters (labels of at most 63), ending in `.test`. */
function longHost(length: number, letter = 'a'): string {
  const labels: string[] = [];
  let left = length - '.test'.length;
  while (left > 0) {
    const size = Math.min(63, labels.length === 0 ? left : left - 1);
    if (labels.length > 0) left--;
    labels.push(letter.repeat(size));
    left -= size;
  }
  const host = `${labels.join('.')}.test`;
  if (host.length !== length) throw new Error(`longHost(${length}) made ${host.length}`);
  return host;
}

/** `count` distinct patterns the grammar and the analysis accept, built from `atoms`, with the seeded PRNG. */
function acceptedRandomPatterns(seed: number, count: number, atoms: string[]) {
  let x = seed;
  const r = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) / 0x100_0000;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
  const QUANTIFIERS = ['', '', '*', '+', '?', '*?', '{0,2}', '{2,}'];
  const patterns: string[] = [];
  for (let attempt = 0; patterns.length < count && attempt < 100_000; attempt++) {
    let p = '/';
    for (let n = 1 + Math.floor(r() * 5); n > 0; n--) p += pick(atoms) + pick(QUANTIFIERS);
    if (r() < 0.3) p += pick(['$', '!', 'x$', '/x']);
    if (!checkAuthorRegex(p, PATH_DIALECT) && !patterns.includes(p)) patterns.push(p);
  }
  expect(patterns.length).toBe(count);
  return { patterns, r, pick };
}

describe('regexes and hosts nginx chokes on (issue 11, items 1 and 9)', () => {
  let backends: Backends;
  let services: KubeObject[];

  beforeAll(async () => {
    backends = await startBackends('app', 'other', 'canary');
    services = [INGRESS_CLASS, ...serviceFor('default', 'app', [backends.by.app!]), ...serviceFor('default', 'other', [backends.by.other!]), ...serviceFor('default', 'canary', [backends.by.canary!])];
  });

  afterAll(async () => backends?.stopAll());

  test('item 1: (a+)+b beside an Exact /aaa…a!/ renders at once, is rejected naming the field, and the other Ingresses serve', async () => {
    const victimPath = `/${'a'.repeat(40)}!/`;
    const r = await render([
      ...services,
      ingress('good', 'good.test', [{ path: '/' }]),
      ingress('dos', 'dos.test', [{ path: '/(a+)+b', service: 'other' }], { [`${P}/use-regex`]: 'true' }),
      ingress('exact', 'dos.test', [{ path: victimPath, pathType: 'Exact' }, { path: '/ok/[0-9]+$', service: 'other' }], {}, '2026-01-02T00:00:00Z'),
    ]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('rejected Ingress default/dos: spec.rules[0].http.paths[0].path: refused because it can make nginx backtrack: a nested repetition');
    expect(r.stderr).not.toContain('default/exact');
    const nginx = await startNginx(r.state, r.out, r.httpPort);
    try {
      expect((await request({ port: r.httpPort, host: 'good.test', path: '/x' })).echo?.service).toBe('app');
      expect((await request({ port: r.httpPort, host: 'dos.test', path: victimPath })).echo?.service).toBe('app');
      // The host stays in regex mode for the Ingress that is left: its regex path serves, case-insensitively.
      expect((await request({ port: r.httpPort, host: 'dos.test', path: '/OK/42' })).echo?.service).toBe('other');
      expect((await request({ port: r.httpPort, host: 'dos.test', path: '/ok/42x' })).status).toBe(404);
      // The refused pattern is not in the config: this request would cost a worker its match limit.
      expect(r.conf).not.toContain('(a+)+');
      expect((await request({ port: r.httpPort, host: 'dos.test', path: `/${'a'.repeat(40)}!` })).status).toBe(404);
    } finally {
      await nginx.stop();
    }
  });

  test('item 1, run mode: the same Ingresses arriving in a running controller leave /healthz answering and the others served', async () => {
    const victimPath = `/${'a'.repeat(40)}!/`;
    const ctl = await startController({ files: { '00-base.yaml': [...services, ingress('good', 'good.test', [{ path: '/' }])] } });
    try {
      await ctl.waitForBackend('good.test', '/', 'app');
      await ctl.writeFile('10-dos.yaml', [
        ingress('dos', 'dos.test', [{ path: '/(a+)+b', service: 'other' }], { [`${P}/use-regex`]: 'true' }),
        ingress('exact', 'dos.test', [{ path: victimPath, pathType: 'Exact' }], {}, '2026-01-02T00:00:00Z'),
      ]);
      await ctl.waitForBackend('dos.test', victimPath, 'app');
      const rejected = 'rejected Ingress default/dos: spec.rules[0].http.paths[0].path: refused because it can make nginx backtrack';
      await waitFor(async () => ctl.logs.some((l) => String(l.message).startsWith(rejected)), 10_000, 'the rejection logged');
      expect((await ctl.status('/healthz')).status).toBe(200);
      expect((await ctl.get('good.test', '/x')).echo?.service).toBe('app');
    } finally {
      expect(await ctl.stop()).toBe(0);
    }
  });

  test('item 1: a canary-by-header-pattern that backtracks is rejected naming the annotation; the main Ingress keeps its traffic', async () => {
    const r = await render([
      ...services,
      ingress('main', 'canary.test', [{ path: '/' }]),
      ingress('beta', 'canary.test', [{ path: '/', service: 'canary' }], {
        [`${P}/canary`]: 'true',
        [`${P}/canary-by-header`]: 'X-Beta',
        [`${P}/canary-by-header-pattern`]: '(a|aa)+$',
      }, '2026-01-02T00:00:00Z'),
    ]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(`rejected Ingress default/beta: metadata.annotations[${P}/canary-by-header-pattern]: refused because it can make nginx backtrack`);
    const nginx = await startNginx(r.state, r.out, r.httpPort);
    try {
      expect((await request({ port: r.httpPort, host: 'canary.test', path: '/', headers: { 'X-Beta': `${'a'.repeat(30)}!` } })).echo?.service).toBe('app');
    } finally {
      await nginx.stop();
    }
  });

  /** Inputs the validators let through before, which made nginx -t refuse the whole config (checked by hand with nginx 1.22 and PCRE2 10.42). */
  const REFUSED_PATHS = ['/[]', '/\\1', '/(a)\\2', '/\\g1', '/\\u0041', '/\\N{U+41}', '/\\x{110000}', '/\\c', '/[\\d-z]', '/[\\w-.]', '/[[:foo:]]', '/x{65536}'];
  const REFUSED_PATTERNS = ['[]', '\\u0041', '[[:x:]]', '\\x{110000}', 'x{99999}', '[\\w-.]'];

  test('item 9: every corpus entry is rejected naming its Ingress and field, and the config of the rest passes nginx -t and serves', async () => {
    const objects: KubeObject[] = [...services, ingress('good', 'good.test', [{ path: '/' }])];
    REFUSED_PATHS.forEach((path, i) => objects.push(ingress(`path-${i}`, `path-${i}.test`, [{ path }], { [`${P}/use-regex`]: 'true' })));
    // The same paths reach nginx's rewrite as well.
    REFUSED_PATHS.forEach((path, i) => objects.push(ingress(`rewrite-${i}`, `rewrite-${i}.test`, [{ path }], { [`${P}/rewrite-target`]: '/$1' })));
    REFUSED_PATTERNS.forEach((pattern, i) => {
      objects.push(ingress(`main-${i}`, `canary-${i}.test`, [{ path: '/' }]));
      objects.push(
        ingress(`canary-${i}`, `canary-${i}.test`, [{ path: '/', service: 'canary' }], {
          [`${P}/canary`]: 'true',
          [`${P}/canary-by-header`]: 'X-Beta',
          [`${P}/canary-by-header-pattern`]: pattern,
        }, '2026-01-02T00:00:00Z'),
      );
    });
    const r = await render(objects);
    expect(r.exitCode).toBe(3);
    const lines = r.stderr.split('\n');
    const rejection = (name: string) => lines.find((l) => l.startsWith(`rejected Ingress default/${name}: `));
    REFUSED_PATHS.forEach((path, i) => {
      expect([path, rejection(`path-${i}`)]).toEqual([path, expect.stringContaining('spec.rules[0].http.paths[0].path: not a supported regular expression')]);
      expect([path, rejection(`rewrite-${i}`)]).toEqual([path, expect.stringContaining('spec.rules[0].http.paths[0].path: not a supported regular expression')]);
    });
    REFUSED_PATTERNS.forEach((pattern, i) => {
      expect([pattern, rejection(`canary-${i}`)]).toEqual([pattern, expect.stringContaining(`metadata.annotations[${P}/canary-by-header-pattern]: not a supported regular expression`)]);
      expect(rejection(`main-${i}`)).toBeUndefined();
    });
    await nginxTest(r.state, r.out);
    const nginx = await startNginx(r.state, r.out, r.httpPort);
    try {
      expect((await request({ port: r.httpPort, host: 'good.test', path: '/' })).echo?.service).toBe('app');
      expect((await request({ port: r.httpPort, host: 'canary-0.test', path: '/', headers: { 'X-Beta': 'x' } })).echo?.service).toBe('app');
    } finally {
      await nginx.stop();
    }
  });

  test('item 9: accepted regex paths, rewrites and header patterns mean in nginx what the grammar says', async () => {
    const r = await render([
      ...services,
      ingress('files', 'rx.test', [{ path: '/files/[\\w\\-]+\\.(png|jpe?g)$', service: 'other' }, { path: '/v[0-9]{1,3}/(.*)' }], { [`${P}/use-regex`]: 'true' }),
      ingress('rewrite', 'rw.test', [{ path: '/api(/|$)(.*)' }], { [`${P}/rewrite-target`]: '/$2' }),
      ingress('main', 'cn.test', [{ path: '/' }]),
      ingress('beta', 'cn.test', [{ path: '/', service: 'canary' }], {
        [`${P}/canary`]: 'true',
        [`${P}/canary-by-header`]: 'X-Beta',
        [`${P}/canary-by-header-pattern`]: '^beta-[0-9]+$',
      }, '2026-01-02T00:00:00Z'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const nginx = await startNginx(r.state, r.out, r.httpPort);
    const get = (host: string, path: string, headers: Record<string, string> = {}) => request({ port: r.httpPort, host, path, headers });
    try {
      expect((await get('rx.test', '/files/a_b-c.JPEG')).echo?.service).toBe('other');
      expect((await get('rx.test', '/files/a.b.png')).status).toBe(404);
      expect((await get('rx.test', '/V12/x')).echo?.service).toBe('app');
      expect((await get('rx.test', '/v1234/x')).status).toBe(404);
      expect((await get('rw.test', '/api/users/1')).echo?.path).toBe('/users/1');
      expect((await get('cn.test', '/', { 'X-Beta': 'beta-42' })).echo?.service).toBe('canary');
      expect((await get('cn.test', '/', { 'X-Beta': 'Beta-42' })).echo?.service).toBe('app');
      expect((await get('cn.test', '/', { 'X-Beta': 'beta-42x' })).echo?.service).toBe('app');
    } finally {
      await nginx.stop();
    }
  });

  test('item 1: the controller\'s linear-time matcher and nginx\'s PCRE2 agree on which URIs random accepted patterns match', async () => {
    // The Exact-slash guard asks this matcher which regex location serves a path; it must answer as nginx does.
    const seed = 1109;
    const { patterns, r, pick } = acceptedRandomPatterns(seed, 40, ['a', 'b', 'A', '/', '.', '[ab]', '[^a]', '[a-b/]', '\\w', '\\/', '(a|b)', '(?:ab)', '(/|$)', 'a{1,2}', 'b{2}', '\\d']);
    const rendered = await render([...services, ...patterns.map((path, i) => ingress(`d${i}`, `d${i}.test`, [{ path }], { [`${P}/use-regex`]: 'true' }))]);
    expect(rendered.stderr).toBe('');
    const nginx = await startNginx(rendered.state, rendered.out, rendered.httpPort);
    const disagreements: string[] = [];
    try {
      for (const [i, pattern] of patterns.entries()) {
        const re = compileRegex(pattern, PATH_DIALECT);
        for (let k = 0; k < 20; k++) {
          // No "//", "." or "%": nginx would normalise those before matching.
          let uri = '/';
          for (let n = Math.floor(r() * 7); n > 0; n--) uri += pick(['a', 'b', 'A', 'B', '1', '_', uri.endsWith('/') ? 'a' : '/']);
          const served = (await request({ port: rendered.httpPort, host: `d${i}.test`, path: uri })).status === 200;
          if (served !== re.test(uri)) disagreements.push(`${pattern} on ${uri}: nginx ${served}, matcher ${re.test(uri)}`);
        }
      }
    } finally {
      await nginx.stop();
    }
    expect([`seed ${seed}`, disagreements]).toEqual([`seed ${seed}`, []]);
  });

  test('item 1: patterns the analysis accepts answer 7 KB hostile URIs without reaching PCRE2\'s match limit (a 500)', async () => {
    // Refused ones do reach it: ^/a.*b.*c on /a + 8,000 b's answered 500 after ~180 ms of one worker.
    const nearMisses = ['/(.*)/(.*)', '/something(/|$)(.*)', '/([^/]+)/([^/]+)/x', '/(/[a-z]+)+\\.json', '/(a+b)+c', '/.*\\.php$', '/(.*)$', '/[a-z]+[0-9]+x', '/(ab|cd)+$'];
    for (const path of nearMisses) expect([path, checkAuthorRegex(path, PATH_DIALECT)]).toEqual([path, undefined]);
    // And what the analysis lets through from atoms that invite backtracking (seeded).
    const atoms = ['a', 'b', '/', '.', '[ab]', '[^a]', '[a/]', '\\w', '(a|b)', '(a|ab)', '(?:ab)', '(/|$)', 'a{1,2}', '(a+b)', '(a*b)', '(.a)', '(a.)', '([^/]+/)', '(/[a-z]+)'];
    const accepted = [...nearMisses, ...acceptedRandomPatterns(1110, 40, atoms).patterns];
    const r = await render([...services, ...accepted.map((path, i) => ingress(`ok${i}`, `ok${i}.test`, [{ path }], { [`${P}/use-regex`]: 'true' }))]);
    expect(r.exitCode).toBe(0);
    const nginx = await startNginx(r.state, r.out, r.httpPort);
    try {
      const uris = [`/${'a'.repeat(7000)}!`, `/${'a/'.repeat(3500)}`, `/${'ab'.repeat(3500)}!`, `/${'a'.repeat(3500)}${'1'.repeat(3500)}`, `/${'/a'.repeat(3500)}.jso`, `/${'aab'.repeat(2300)}/!`];
      for (const [i, path] of accepted.entries()) {
        for (const uri of uris) {
          const status = (await request({ port: r.httpPort, host: `ok${i}.test`, path: uri })).status;
          expect([path, uri.slice(0, 12), status === 500 ? 'match limit' : 'answered']).toEqual([path, uri.slice(0, 12), 'answered']);
        }
      }
    } finally {
      await nginx.stop();
    }
  });

  test('item 9: hosts of 111 to 253 characters, and a long host with from-to-www-redirect, render a config nginx loads and serve', async () => {
    const hosts = [111, 118, 200, 253].map((n, i) => longHost(n, 'abcd'[i]!));
    const www = longHost(240, 'w');
    const tooLong = longHost(251, 'z');
    const r = await render([
      ...services,
      ...hosts.map((h, i) => ingress(`long-${i}`, h, [{ path: '/' }])),
      ingress('www', www, [{ path: '/' }], { [`${P}/from-to-www-redirect`]: 'true' }),
      ingress('www-too-long', tooLong, [{ path: '/' }], { [`${P}/from-to-www-redirect`]: 'true' }),
    ]);
    expect(r.exitCode).toBe(0);
    const nginx = await startNginx(r.state, r.out, r.httpPort);
    try {
      for (const host of [...hosts, www, tooLong]) expect([host.length, (await request({ port: r.httpPort, host, path: '/x' })).echo?.service]).toEqual([host.length, 'app']);
      const redirect = await request({ port: r.httpPort, host: `www.${www}`, path: '/x' });
      expect(redirect.status).toBe(308);
      expect(redirect.headers.location).toBe(`http://${www}:${r.httpPort}/x`);
    } finally {
      await nginx.stop();
    }
    expect(r.stderr).toBe(`warning: Ingress default/www-too-long: from-to-www-redirect: www.${tooLong} would be longer than 253 characters; no redirect from it to ${tooLong}`);
  });
});
