import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../src/store/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

/**
 * The pathType example table from the Kubernetes Ingress documentation, row by row, through a real nginx.
 * Each row is its own host; each rule's backend is named after the rule, so the answering backend tells
 * which rule matched (or none: 404, there being no default backend).
 */
type Rule = [path: string, type: 'Exact' | 'Prefix'];
const TABLE: Array<{ rules: Rule[]; request: string; expect: Rule | null }> = [
  { rules: [['/', 'Prefix']], request: '/anything/at/all', expect: ['/', 'Prefix'] },
  { rules: [['/foo', 'Exact']], request: '/foo', expect: ['/foo', 'Exact'] },
  { rules: [['/foo', 'Exact']], request: '/bar', expect: null },
  { rules: [['/foo', 'Exact']], request: '/foo/', expect: null },
  { rules: [['/foo/', 'Exact']], request: '/foo', expect: null },
  { rules: [['/foo', 'Prefix']], request: '/foo', expect: ['/foo', 'Prefix'] },
  { rules: [['/foo', 'Prefix']], request: '/foo/', expect: ['/foo', 'Prefix'] },
  { rules: [['/foo/', 'Prefix']], request: '/foo', expect: ['/foo/', 'Prefix'] },
  { rules: [['/foo/', 'Prefix']], request: '/foo/', expect: ['/foo/', 'Prefix'] },
  { rules: [['/aaa/bb', 'Prefix']], request: '/aaa/bbb', expect: null },
  { rules: [['/aaa/bbb', 'Prefix']], request: '/aaa/bbb', expect: ['/aaa/bbb', 'Prefix'] },
  { rules: [['/aaa/bbb/', 'Prefix']], request: '/aaa/bbb', expect: ['/aaa/bbb/', 'Prefix'] },
  { rules: [['/aaa/bbb', 'Prefix']], request: '/aaa/bbb/', expect: ['/aaa/bbb', 'Prefix'] },
  { rules: [['/aaa/bbb', 'Prefix']], request: '/aaa/bbb/ccc', expect: ['/aaa/bbb', 'Prefix'] },
  { rules: [['/aaa/bbb', 'Prefix']], request: '/aaa/bbbxyz', expect: null },
  { rules: [['/', 'Prefix'], ['/aaa', 'Prefix']], request: '/aaa/ccc', expect: ['/aaa', 'Prefix'] },
  { rules: [['/', 'Prefix'], ['/aaa', 'Prefix'], ['/aaa/bbb', 'Prefix']], request: '/aaa/bbb', expect: ['/aaa/bbb', 'Prefix'] },
  { rules: [['/', 'Prefix'], ['/aaa', 'Prefix'], ['/aaa/bbb', 'Prefix']], request: '/ccc', expect: ['/', 'Prefix'] },
  { rules: [['/aaa', 'Prefix']], request: '/ccc', expect: null },
  { rules: [['/foo', 'Prefix'], ['/foo', 'Exact']], request: '/foo', expect: ['/foo', 'Exact'] },
];

function serviceName(rule: Rule): string {
  const slug = rule[0].replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'root';
  return `${rule[1].toLowerCase()}-${slug}${rule[0].endsWith('/') && rule[0] !== '/' ? '-slash' : ''}`;
}

describe('the Kubernetes pathType table, through nginx', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    const names = [...new Set(TABLE.flatMap((row) => row.rules.map(serviceName)))];
    backends = await startBackends(...names);
    const objects: KubeObject[] = [INGRESS_CLASS, ...names.flatMap((n) => serviceFor('table', n, [backends.by[n]!]))];
    TABLE.forEach((row, i) => {
      objects.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: `row-${i}`, namespace: 'table' },
        spec: {
          ingressClassName: 'portico',
          rules: [
            {
              host: `row${i}.table.test`,
              http: { paths: row.rules.map(([path, pathType]) => ({ path, pathType, backend: { service: { name: serviceName([path, pathType]), port: { number: 80 } } } })) },
            },
          ],
        },
      } as KubeObject);
    });
    s = await startScenario(objects);
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test.each(TABLE.map((row, i) => [i, row.rules.map((r) => `${r[1]} ${r[0]}`).join(', '), row.request, row.expect] as const))(
    'row %i: rules [%s], request %s',
    async (i, _rules, request, expected) => {
      const r = await s.get(`row${i}.table.test`, request);
      if (expected === null) {
        expect(r.status).toBe(404);
      } else {
        expect(r.status).toBe(200);
        expect(r.echo?.service).toBe(serviceName(expected));
        expect(r.echo?.path).toBe(request);
      }
    },
  );
});
