import { describe, expect, test } from '@jest/globals';
import { FEATURE_LIST } from '../src/features/registry.js';
import type { KubeObject } from '../src/store/types.js';
import { INGRESS_CLASS, renderChecked } from './support/scenario.js';

/**
 * Random and hostile Ingresses through the model and the renderer. Every rendered config must pass
 * `nginx -t`; an Ingress that cannot be rendered safely must be rejected with a reason. A seeded PRNG keeps
 * failures reproducible: the seed is in the test name.
 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE = [
  '\n', '\r\n', ';', '{', '}', '"', "'", '#', '\\', '$host', '${x}', '`', ' ', '\t', '\u0000', 'ｓ', 'е', '\u202e',
  'ssl_engine x;', 'load_module /tmp/x.so;', 'content_by_lua_block { }', '../../etc/passwd', '/var/run/secrets/x',
  '}\nserver { listen 1; }', 'include /etc/passwd;', '%0a', '%00', '*', '(', ')', '|', '^', '[', '?', '&', '=',
];
const SAFE_WORDS = ['a', 'api', 'v1', 'foo', 'x-y', '1', 'true', 'false', '10', '5m', '/', '/x', 'on', 'GET', 'http', 'https', '0'];
const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific', 'Bogus', undefined];

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

function randomString(r: () => number, hostileRate: number): string {
  const parts: string[] = [];
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) parts.push(r() < hostileRate ? pick(r, HOSTILE) : pick(r, SAFE_WORDS));
  return parts.join(r() < 0.5 ? '' : pick(r, ['.', '/', '-', ',']));
}

function randomIngress(r: () => number, i: number, hostileRate: number): KubeObject {
  const keys = FEATURE_LIST.flatMap((f) => f.keys);
  const annotations: Record<string, string> = {};
  const nAnn = Math.floor(r() * 4);
  for (let k = 0; k < nAnn; k++) annotations[`nginx.ingress.kubernetes.io/${pick(r, keys)}`] = randomString(r, hostileRate);
  const host = r() < 0.1 ? randomString(r, hostileRate) : r() < 0.2 ? `*.w${i % 7}.fuzz.test` : `h${i % 13}.fuzz.test`;
  const paths = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
    path: r() < 0.7 ? `/${pick(r, SAFE_WORDS)}/${pick(r, SAFE_WORDS)}`.replace('//', '/') : `/${randomString(r, hostileRate)}`,
    pathType: pick(r, PATH_TYPES),
    backend: { service: { name: r() < 0.9 ? `svc${i % 5}` : randomString(r, hostileRate), port: r() < 0.5 ? { number: 80 } : { name: r() < 0.9 ? 'http' : randomString(r, hostileRate) } } },
  }));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: r() < 0.95 ? `fuzz-${i}` : randomString(r, hostileRate), namespace: 'fuzz', annotations },
    spec: {
      ingressClassName: 'portico',
      tls: r() < 0.2 ? [{ hosts: [host], secretName: r() < 0.8 ? 'tls' : randomString(r, hostileRate) }] : undefined,
      rules: [{ host: r() < 0.1 ? undefined : host, http: { paths } }],
    },
  } as KubeObject;
}

const services: KubeObject[] = [0, 1, 2, 3, 4].flatMap((i) => [
  { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc${i}`, namespace: 'fuzz' }, spec: { ports: [{ name: 'http', port: 80 }] } } as KubeObject,
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `svc${i}-a`, namespace: 'fuzz', labels: { 'kubernetes.io/service-name': `svc${i}` } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [{ addresses: [`10.0.0.${i + 1}`] }],
  } as KubeObject,
]);

const BATCHES = Number(process.env.FUZZ_BATCHES ?? 20);
const PER_BATCH = 100;

describe(`fuzzing the model and renderer (${BATCHES} × ${PER_BATCH} Ingresses)`, () => {
  test.each(Array.from({ length: BATCHES }, (_, b) => [b, 1000 + b]))('batch %i (seed %i): nginx -t passes, no hostile text in the config', async (b, seed) => {
    const r = prng(seed);
    const hostileRate = b % 2 === 0 ? 0.05 : 0.3;
    const ingresses = Array.from({ length: PER_BATCH }, (_, i) => randomIngress(r, b * PER_BATCH + i, hostileRate));
    const { model, conf } = await renderChecked([INGRESS_CLASS, ...services, ...ingresses]);
    const accepted = new Set(model.accepted.map((a) => a.name));
    const rejected = new Set(model.rejections.filter((x) => x.whole).map((x) => x.ingress.name));
    // Every owned Ingress is either accepted or rejected with a reason.
    for (const ing of ingresses) {
      const name = ing.metadata!.name!;
      if (!/^fuzz-\d+$/.test(name)) continue;
      expect(accepted.has(name) || rejected.has(name)).toBe(true);
    }
    for (const rej of model.rejections) expect(rej.reason.length).toBeGreaterThan(0);
    // Not degenerate: both outcomes occur in every batch.
    expect(accepted.size).toBeGreaterThan(0);
    expect(rejected.size).toBeGreaterThan(0);
    // Hostile text may survive only as data: inside a quoted, escaped string (a valid path such as
    // "/etc/passwd" is just a path). Outside quotes and comments, no directive of its own appears.
    const bare = conf.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/#.*$/gm, '');
    for (const marker of ['ssl_engine', 'load_module', '_by_lua', '/etc/passwd', '/var/run/secrets', 'listen 1;', 'include']) {
      expect(bare).not.toContain(marker);
    }
    expect(conf).not.toMatch(/[^\x09\x0a\x20-\x7e]/);
  });
});
