import { describe, expect, test } from '@jest/globals';
import { auditModelOptions, auditObjects } from '../cli/audit.js';
import type { KubeObject } from '../store/types.js';
import { annotationsNamed } from './classify.js';

const P = 'nginx.ingress.kubernetes.io';

function ingress(name: string, opts: { annotations?: Record<string, string>; className?: string; host?: string; path?: string } = {}): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace: 'shop', name, annotations: opts.annotations ?? {}, creationTimestamp: `2026-01-01T00:00:0${name.length % 10}Z` },
    spec: {
      ingressClassName: opts.className ?? 'nginx',
      rules: [{ host: opts.host ?? `${name}.example.test`, http: { paths: [{ path: opts.path ?? '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    },
  } as KubeObject;
}

const nginxClass: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } } as KubeObject;

function audit(objects: KubeObject[], configMap?: string) {
  const all = [nginxClass, ...objects];
  return auditObjects(all, auditModelOptions({ ingressClass: 'nginx', format: 'text', manifests: ['x'], ingressNginxConfigmap: configMap }, all));
}

describe('classifyIngresses: verdicts from the model pipeline', () => {
  test('each verdict, with the annotation, field and reason the pipeline gives', () => {
    const report = audit([
      ingress('plain'),
      ingress('ewma', { annotations: { [`${P}/load-balance`]: 'ewma' } }),
      ingress('mtls', { annotations: { [`${P}/auth-snippet`]: 'return 200;' } }),
      ingress('other', { className: 'traefik' }),
    ]);
    expect(report.totals).toEqual({ total: 4, same: 1, differences: 1, rejected: 1, ignored: 1 });
    const byName = new Map(report.ingresses.map((e) => [e.name, e]));
    expect(byName.get('plain')!.verdict).toBe('same');
    const ewma = byName.get('ewma')!;
    expect(ewma.verdict).toBe('differences');
    expect(ewma.differences).toHaveLength(1);
    expect(ewma.differences[0]!.annotation).toBe('load-balance');
    expect(ewma.differences[0]!.message).toMatch(/^load-balance: ewma needs the Lua balancer/);
    // README's row for ewma, from src/audit/differences.ts.
    expect(ewma.differences[0]!.known.map((k) => k.row)).toEqual(['`load-balance: ewma`']);
    const mtls = byName.get('mtls')!;
    expect(mtls.verdict).toBe('rejected');
    expect(mtls.rejections).toEqual([
      expect.objectContaining({ field: `metadata.annotations[${P}/auth-snippet]`, annotation: 'auth-snippet', reason: expect.stringMatching(/not enforced by Portico/) }),
    ]);
    expect(mtls.rejections[0]!.known[0]!.row).toMatch(/^`auth-snippet`/);
    expect(byName.get('other')).toMatchObject({ verdict: 'ignored', ingressClass: 'traefik' });
  });

  test('an unsupported annotation with no README row: the pipeline message says what differs', () => {
    const e = audit([ingress('log', { annotations: { [`${P}/enable-access-log`]: 'false' } })]).ingresses[0]!;
    expect(e.verdict).toBe('differences');
    expect(e.differences).toEqual([{ annotation: 'enable-access-log', message: `annotation ${P}/enable-access-log is not supported by Portico and is ignored`, known: [] }]);
  });

  test('a path another Ingress already serves is a difference naming the field; the Ingress is still served', () => {
    const report = audit([ingress('a', { host: 'same.test' }), ingress('bb', { host: 'same.test' })]);
    const younger = report.ingresses.find((e) => e.name === 'bb')!;
    expect(younger.verdict).toBe('differences');
    expect(younger.differences[0]!.field).toBe('spec.rules[0].http.paths[0]');
    expect(younger.differences[0]!.message).toMatch(/already served by Ingress shop\/a/);
  });

  test('a malformed value ingress-nginx also replaces by its default is a note, not a difference', () => {
    const e = audit([ingress('t', { annotations: { [`${P}/proxy-read-timeout`]: '50k' } })]).ingresses[0]!;
    expect(e.verdict).toBe('same');
    expect(e.notes).toEqual([expect.stringMatching(/proxy-read-timeout.*as in ingress-nginx/)]);
  });

  test("ingress-nginx's ConfigMap: allow-snippet-annotations true serves snippets as ingress-nginx does; its warnings are listed", () => {
    const snippet = ingress('snip', { annotations: { [`${P}/configuration-snippet`]: 'more_set_headers "X-A: b";' } });
    expect(audit([snippet]).ingresses[0]!.verdict).toBe('differences');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' }, data: { 'allow-snippet-annotations': 'true', 'proxy-body-size': 'lots' } };
    const report = audit([snippet, cm as KubeObject], 'ingress-nginx/ingress-nginx-controller');
    expect(report.ingresses[0]!.verdict).toBe('same');
    expect(report.otherWarnings).toEqual([expect.stringMatching(/^ConfigMap ingress-nginx\/ingress-nginx-controller: proxy-body-size/)]);
  });

  test('annotations by frequency count owned Ingresses only, most frequent first', () => {
    const report = audit([
      ingress('a', { annotations: { [`${P}/rewrite-target`]: '/', [`${P}/enable-access-log`]: 'false' } }),
      ingress('bb', { annotations: { [`${P}/rewrite-target`]: '/' } }),
      ingress('c', { className: 'traefik', annotations: { [`${P}/rewrite-target`]: '/' } }),
    ]);
    expect(report.annotations).toEqual([
      { key: 'rewrite-target', ingresses: 2, supported: true, differing: 0, rejecting: 0 },
      { key: 'enable-access-log', ingresses: 1, supported: false, differing: 1, rejecting: 0 },
    ]);
  });
});

describe('annotationsNamed', () => {
  test('whole keys only, bare or with the prefix', () => {
    const keys = ['canary-by-header', 'canary-by-header-value', 'canary'];
    expect(annotationsNamed('canary-by-header-value is ignored without canary-by-header', keys)).toEqual(['canary-by-header', 'canary-by-header-value']);
    expect(annotationsNamed(`annotation ${P}/canary-by-header-value: x`, keys)).toEqual(['canary-by-header-value']);
  });
});
