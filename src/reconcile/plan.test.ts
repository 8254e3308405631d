import { describe, expect, test } from '@jest/globals';
import { DEFAULT_MODEL_OPTIONS, refString, type ModelOptions, type NginxModel } from '../model/types.js';
import type { ConfigRenderer } from '../render/render.js';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { Ingress, KubeObject } from '../store/types.js';
import { BaseConfigError, planConfig, rememberAccepted, TemplateError, type LastAccepted, type Plan } from './plan.js';

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
    return line ? { reason: `unknown directive in ${line}`, evidence: ['unknown directive', line] } : undefined;
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
    expect(plan.excluded[0]).toMatchObject({ field: 'spec.rules[0].http.paths[0].path', whole: true });
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

  /** Plans `snapshot` as a sync loop does: with the last plan's culprits and the versions it served. */
  async function sync(snapshot: ReturnType<typeof snap>, last: LastAccepted, previous: Plan | undefined, calls: { n: number }, renderer = render) {
    const before = calls.n;
    const plan = await planConfig(snapshot, options, renderer, fakeCheck(calls), last, () => false, previous?.culprits);
    rememberAccepted(last, plan, snapshot);
    return { plan, checks: calls.n - before };
  }

  test('a known bad Ingress, unchanged, costs one nginx -t at the next sync, with the same reason', async () => {
    const last: LastAccepted = new Map();
    const calls = { n: 0 };
    const goods = Array.from({ length: 300 }, (_, i) => ing(`g${String(i).padStart(3, '0')}`));
    const bad = ing('x', '/bad');
    const renders = { n: 0 };
    const counted: ConfigRenderer = (m) => {
      renders.n++;
      return render(m);
    };
    const first = await sync(snap(...goods, bad), last, undefined, calls, counted);
    renders.n = 0;
    expect(first.plan.excluded.map((r) => refString(r.ingress))).toEqual(['ns/x']);
    expect(first.checks).toBeGreaterThan(10);

    const second = await sync(snap(...goods, bad), last, first.plan, calls, counted);
    expect(second.checks).toBe(1);
    // One model and one render: at 10,000 Ingresses each is seconds.
    expect(renders.n).toBe(1);
    expect(second.plan.excluded).toEqual(first.plan.excluded);
    expect(second.plan.text).toBe(first.plan.text);

    // Another Ingress changes (and is fine): still one check, the known one still out.
    const moved = ing('g007', '/moved');
    const third = await sync(snap(...goods.filter((g) => g.metadata!.name !== 'g007'), moved, bad), last, second.plan, calls, counted);
    expect(third.checks).toBe(1);
    expect(third.plan.text).toContain('ns/g007 /moved');
    expect(third.plan.excluded.map((r) => r.reason)).toEqual(first.plan.excluded.map((r) => r.reason));

    // A second bad Ingress appears: only the changed one is bisected, far fewer checks than from scratch.
    const worse = await sync(snap(...goods, bad, ing('y', '/also-bad')), last, third.plan, calls, counted);
    expect(worse.plan.excluded.map((r) => refString(r.ingress)).sort()).toEqual(['ns/x', 'ns/y']);
    expect(worse.checks).toBeLessThan(first.checks);
    // Everything but x (fails), none, the unchanged ones, 3 to bisect the two changed (y and g007, back to
    // its first version), y alone, the result.
    expect(worse.checks).toBe(8);

    // The known one is fixed (its content changed): checked again, and back in.
    const fixed = await sync(snap(...goods, ing('x', '/fixed'), ing('y', '/also-bad')), last, worse.plan, calls, counted);
    expect(fixed.plan.excluded.map((r) => refString(r.ingress))).toEqual(['ns/y']);
    expect(fixed.plan.text).toContain('ns/x /fixed');
  });

  test('a culprit is checked again when its context changes (another renderer, a partner on its host)', async () => {
    const last: LastAccepted = new Map();
    const calls = { n: 0 };
    const first = await sync(snap(ing('a'), ing('x', '/bad')), last, undefined, calls);
    expect(first.plan.excluded.map((r) => refString(r.ingress))).toEqual(['ns/x']);
    // Templates that no longer write the bad path: the memory is of the old renderer, so the full config is checked.
    const tolerant: ConfigRenderer = (m) => render(m).replaceAll('bad', 'fine');
    const other = await sync(snap(ing('a'), ing('x', '/bad')), last, first.plan, calls, tolerant);
    expect(other.plan.excluded).toEqual([]);
    expect(other.checks).toBe(1);

    // The Service it names changes (new endpoints could be what nginx refused): checked again.
    const svc = (port: number) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'ns' }, spec: { ports: [{ port: 80, targetPort: port }] } }) as KubeObject;
    const before = await sync(snap(ing('a'), ing('x', '/bad'), svc(8080)), last, undefined, calls);
    const same = await sync(snap(ing('a'), ing('x', '/bad'), svc(8080)), last, before.plan, calls);
    expect(same.checks).toBe(1);
    const changed = await sync(snap(ing('a'), ing('x', '/bad'), svc(9090)), last, same.plan, calls);
    expect(changed.checks).toBeGreaterThan(1);
    expect(changed.plan.excluded.map((r) => refString(r.ingress))).toEqual(['ns/x']);

    // A partner on its host changes: checked again.
    const partner = (path: string) => {
      const p = ing('p', path);
      p.spec!.rules![0]!.host = 'x.test';
      return p;
    };
    const withPartner = await sync(snap(ing('a'), ing('x', '/bad'), partner('/one')), last, undefined, calls);
    const partnerMoved = await sync(snap(ing('a'), ing('x', '/bad'), partner('/two')), last, withPartner.plan, calls);
    expect(partnerMoved.checks).toBeGreaterThan(1);
    const elsewhere = await sync(snap(ing('a', '/elsewhere'), ing('x', '/bad'), partner('/two')), last, partnerMoved.plan, calls);
    expect(elsewhere.checks).toBe(1);
  });

  /** Renders each location, with the header pattern of a canary attached to it. */
  const renderCanaries: ConfigRenderer = (m) =>
    m.servers
      .flatMap((s) => s.locations.map((l) => `${refString(l.ingress)} ${l.ingressPath}${l.canary ? ` canary ${refString(l.canary.ingress)} ${l.canary.annotations.canary.headerPattern}` : ''}`))
      .join('\n');

  test('an older canary whose pattern nginx refuses is left out, not the younger main Ingress it attaches to', async () => {
    const canary = ing('canary', '/', {
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-by-header': 'X-V',
      'nginx.ingress.kubernetes.io/canary-by-header-pattern': '^bad$',
    });
    canary.metadata!.creationTimestamp = '2025-01-01T00:00:00Z';
    canary.spec!.rules![0]!.host = 'main.test';
    const main = ing('main', '/');
    const calls = { n: 0 };
    const plan = await planConfig(snap(canary, main, ing('other')), options, renderCanaries, fakeCheck(calls));
    expect(plan.excluded.map((r) => refString(r.ingress))).toEqual(['ns/canary']);
    expect(plan.excluded[0]).toMatchObject({ field: 'metadata.annotations[nginx.ingress.kubernetes.io/canary-by-header-pattern]' });
    expect(plan.excluded[0]!.reason).toContain('together with ns/main');
    expect(plan.text).toContain('ns/main /');
    expect(plan.text).not.toContain('bad');
    expect(plan.model.accepted.map(refString).sort()).toEqual(['ns/canary', 'ns/main', 'ns/other'].filter((k) => k !== 'ns/canary'));
  });

  test('a fault among the unchanged Ingresses (their context changed) is not pinned on a changed one', async () => {
    const last: LastAccepted = new Map();
    const calls = { n: 0 };
    const [b, c] = [ing('b'), ing('c')];
    const first = await sync(snap(ing('a'), b, c), last, undefined, calls);
    expect(first.plan.excluded).toEqual([]);
    // b is unchanged but now refused (as when its Secret changes); a changed at the same time.
    const refuseB = async (_m: NginxModel, text: string) => (text.includes('ns/b /') ? { reason: 'b refused', evidence: ['b refused'] } : undefined);
    const changedA = ing('a', '/new');
    changedA.metadata!.creationTimestamp = '2026-03-01T00:00:00Z'; // younger than b: "the youngest" would pick it
    const plan = await planConfig(snap(changedA, b, c), options, render, refuseB, last, () => false, first.plan.culprits);
    expect(plan.excluded.map((r) => refString(r.ingress))).toEqual(['ns/b']);
    expect(plan.text).toContain('ns/a /new');
  });

  test('two Ingresses that nginx refuses only together, both with content of their own: the younger is left out', async () => {
    const older = ing('older', '/clash-a');
    const younger = ing('younger', '/clash-b');
    younger.metadata!.creationTimestamp = '2026-02-01T00:00:00Z';
    const clash = async (_m: NginxModel, text: string) => (text.includes('clash-a') && text.includes('clash-b') ? 'duplicate something' : undefined);
    // The younger listed first, so that the bisection meets the older one last: the blame must not depend on order.
    const plan = await planConfig(snap(younger, ing('a'), older), options, render, clash);
    expect(plan.excluded.map((r) => refString(r.ingress))).toEqual(['ns/younger']);
    expect(plan.text).toContain('ns/older /clash-a');
  });
});
