import { describe, expect, test } from '@jest/globals';
import { DEFAULT_MODEL_OPTIONS, refString, type ModelOptions, type NginxModel } from '../model/types.js';
import type { ConfigRenderer } from '../render/render.js';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { Ingress, KubeObject } from '../store/types.js';
import { BaseConfigError, planConfig, rememberAccepted, TemplateError, type LastAccepted } from './plan.js';

const options: ModelOptions = { ...DEFAULT_MODEL_OPTIONS, stateDir: '/tmp/portico-plan-test' };
const CLASS = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'portico' }, spec: { controller: DEFAULT_MODEL_OPTIONS.controllerClass } };

function ing(name: string, path = '/', annotations?: Record<string, string>, uid = `uid-${name}`): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'ns', uid, annotations, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { ingressClassName: 'portico', rules: [{ host: `${name}.test`, http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: 'svc', port: { number: 80 } } } }] } }] },
  } as Ingress;
}

/** A renderer listing each location's Ingress and path; enough for a fake nginx -t. */
const render: ConfigRenderer = (m) => m.servers.flatMap((s) => s.locations.map((l) => `${refString(l.ingress)} ${l.ingressPath}`)).join('\n');

/** Fake nginx -t: refuses any config with a location path containing "bad". */
function fakeCheck(calls: { n: number }) {
  return async (_m: NginxModel, text: string) => {
    calls.n++;
    const line = text.split('\n').find((l) => l.includes('bad'));
    return line ? `unknown directive in ${line}` : undefined;
  };
}

const snap = (...ingresses: KubeObject[]) => snapshotFromObjects([CLASS as KubeObject, ...ingresses]);

describe('planConfig', () => {
  test('a config nginx accepts is checked once and nothing is excluded', async () => {
    const calls = { n: 0 };
    const plan = await planConfig(snap(ing('a'), ing('b')), options, render, fakeCheck(calls));
    expect(plan.excluded).toEqual([]);
    expect(calls.n).toBe(1);
    expect(plan.model.accepted.map(refString).sort()).toEqual(['ns/a', 'ns/b']);
  });

  test('bisection finds exactly the Ingresses nginx -t refuses, among many', async () => {
    const calls = { n: 0 };
    const goods = Array.from({ length: 30 }, (_, i) => ing(`g${String(i).padStart(2, '0')}`));
    const plan = await planConfig(snap(...goods, ing('x1', '/bad'), ing('x2', '/also-bad')), options, render, fakeCheck(calls));
    expect(plan.excluded.map((r) => refString(r.ingress)).sort()).toEqual(['ns/x1', 'ns/x2']);
    expect(plan.excluded[0]).toMatchObject({ field: 'nginx.conf', whole: true });
    expect(plan.excluded.find((r) => r.ingress.name === 'x1')!.reason).toContain('ns/x1 /bad');
    expect(plan.text).not.toContain('bad');
    expect(plan.model.accepted).toHaveLength(30);
    // Logarithmic, not one check per Ingress.
    expect(calls.n).toBeLessThan(32);
  });

  test('a failure that does not depend on any Ingress is a BaseConfigError, not an exclusion of everyone', async () => {
    const broken = async () => 'unknown directive "oops"';
    await expect(planConfig(snap(ing('a'), ing('b')), options, render, broken)).rejects.toBeInstanceOf(BaseConfigError);
    // Every Ingress failing alone (a template broken for all locations) is the templates' fault too.
    const allBad: ConfigRenderer = (m) => m.servers.flatMap((s) => s.locations.map(() => 'bad')).join('\n');
    await expect(planConfig(snap(ing('a'), ing('b')), options, allBad, fakeCheck({ n: 0 }))).rejects.toBeInstanceOf(BaseConfigError);
  });

  test('a renderer that throws is a TemplateError', async () => {
    const throwing: ConfigRenderer = () => {
      throw new Error('missing partial');
    };
    await expect(planConfig(snap(ing('a')), options, throwing, fakeCheck({ n: 0 }))).rejects.toBeInstanceOf(TemplateError);
  });

  test('a new version rejected as a whole is replaced by the last accepted one (same uid); its rejection is kept', async () => {
    const last: LastAccepted = new Map();
    const v1 = ing('a', '/v1');
    const first = await planConfig(snap(v1, ing('b')), options, render, fakeCheck({ n: 0 }), last);
    rememberAccepted(last, first, first.snapshot);
    expect(last.get('ns/a')).toBe(v1);

    const v2 = ing('a', '/v2', { 'nginx.ingress.kubernetes.io/use-regex': 'maybe' });
    const current = snap(v2, ing('b'));
    const plan = await planConfig(current, options, render, fakeCheck({ n: 0 }), last);
    expect(plan.text).toContain('ns/a /v1');
    expect(plan.substituted.map(refString)).toEqual(['ns/a']);
    expect(plan.model.rejections.filter((r) => r.ingress.name === 'a')).toEqual([expect.objectContaining({ whole: true, field: 'metadata.annotations[nginx.ingress.kubernetes.io/use-regex]' })]);
    rememberAccepted(last, plan, current);
    expect(last.get('ns/a')).toBe(v1);

    // Re-created with another uid: no fallback.
    const other = ing('a', '/v3', { 'nginx.ingress.kubernetes.io/use-regex': 'maybe' }, 'another-uid');
    const recreated = await planConfig(snap(other, ing('b')), options, render, fakeCheck({ n: 0 }), last);
    expect(recreated.text).not.toContain('ns/a');
    expect(recreated.substituted).toEqual([]);

    // Deleted: forgotten.
    rememberAccepted(last, recreated, snap(ing('b')));
    expect(last.has('ns/a')).toBe(false);
  });

  test('an Ingress excluded by nginx -t serves its last accepted version when nginx takes it', async () => {
    const last: LastAccepted = new Map();
    const first = await planConfig(snap(ing('a', '/ok'), ing('b')), options, render, fakeCheck({ n: 0 }), last);
    rememberAccepted(last, first, first.snapshot);
    const plan = await planConfig(snap(ing('a', '/bad'), ing('b')), options, render, fakeCheck({ n: 0 }), last);
    expect(plan.excluded.map((r) => refString(r.ingress))).toEqual(['ns/a']);
    expect(plan.excluded[0]!.reason).toContain('last accepted version keeps serving');
    expect(plan.text).toContain('ns/a /ok');
  });
});
