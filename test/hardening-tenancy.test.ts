import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../src/store/types.js';
import { makeCertificate, tlsSecret } from './support/certs.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

/**
 * Issue 11, item 7: a younger Ingress in another namespace must not take over a host whose oldest Ingress
 * is in namespace `victim`, by a canary, by turning the host into regex mode, by naming the host only in
 * spec.tls, or by a rule-less spec.defaultBackend. Within one namespace, Ingresses still merge.
 */
const OLD = '2026-01-01T00:00:00Z';
const YOUNG = '2026-02-01T00:00:00Z';
const YOUNGER = '2026-03-01T00:00:00Z';
const PREFIX = 'nginx.ingress.kubernetes.io';

interface Parts {
  namespace: string;
  created: string;
  host?: string;
  paths?: Array<{ path: string; pathType?: string; service: string }>;
  annotations?: Record<string, string>;
  tls?: Array<{ hosts: string[]; secretName: string }>;
  defaultBackend?: string;
}

function ingress(name: string, p: Parts): KubeObject {
  const annotations = Object.fromEntries(Object.entries(p.annotations ?? {}).map(([k, v]) => [`${PREFIX}/${k}`, v]));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: p.namespace, creationTimestamp: p.created, annotations },
    spec: {
      ingressClassName: 'portico',
      tls: p.tls,
      defaultBackend: p.defaultBackend ? { service: { name: p.defaultBackend, port: { number: 80 } } } : undefined,
      rules: p.host
        ? [
            {
              host: p.host,
              http: {
                paths: (p.paths ?? []).map((x) => ({ path: x.path, pathType: x.pathType ?? 'Prefix', backend: { service: { name: x.service, port: { number: 80 } } } })),
              },
            },
          ]
        : undefined,
    },
  } as KubeObject;
}

describe('tenancy: a younger Ingress of another namespace cannot take over a host', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('victim', 'victim-canary', 'victim-default', 'attacker');
    const b = backends.by;
    const stolen = await makeCertificate('tls.victim.test');
    const own = await makeCertificate('tls2.victim.test');
    const victim = (name: string, host: string, paths: Parts['paths'] = [{ path: '/', service: 'victim' }], extra: Partial<Parts> = {}) =>
      ingress(name, { namespace: 'victim', created: OLD, host, paths, ...extra });
    const attacker = (name: string, extra: Partial<Parts>) => ingress(name, { namespace: 'attacker', created: YOUNG, ...extra });
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('victim', 'victim', [b.victim!]),
      ...serviceFor('victim', 'victim-canary', [b['victim-canary']!]),
      ...serviceFor('victim', 'victim-default', [b['victim-default']!]),
      ...serviceFor('attacker', 'attacker', [b.attacker!]),
      tlsSecret('attacker', 'stolen', stolen),
      tlsSecret('victim', 'own', own),

      // (a) a canary with weight 100 on the victim's path.
      victim('canary', 'canary.victim.test'),
      attacker('canary', { host: 'canary.victim.test', paths: [{ path: '/', service: 'attacker' }], annotations: { canary: 'true', 'canary-weight': '100' } }),
      // Server-level annotations on the victim's host: an extra name for its server, an app-root redirect.
      attacker('server-level', {
        host: 'canary.victim.test',
        paths: [{ path: '/attacker-path', service: 'attacker' }],
        annotations: { 'server-alias': 'victim-alias.test', 'app-root': '/stolen' },
      }),
      // (b) one broad regex that would capture the whole host in regex mode.
      victim('regex', 'regex.victim.test', [{ path: '/', service: 'victim' }, { path: '/app', service: 'victim' }]),
      attacker('regex', { host: 'regex.victim.test', paths: [{ path: '/.*', pathType: 'ImplementationSpecific', service: 'attacker' }], annotations: { 'use-regex': 'true' } }),
      // (b') on a host its owner put in regex mode, another namespace's path would be a regex that outranks the owner's.
      victim('regex-owner', 'regex3.victim.test', [{ path: '/', service: 'victim' }, { path: '/app', service: 'victim' }], { annotations: { 'use-regex': 'true' } }),
      attacker('regex-plain', {
        host: 'regex3.victim.test',
        paths: [{ path: '/(.*)', pathType: 'ImplementationSpecific', service: 'attacker' }, { path: '/attacker-exact', pathType: 'Exact', service: 'attacker' }],
      }),
      // (c) the victim's host named only under spec.tls, with the attacker's certificate for it.
      victim('tls', 'tls.victim.test'),
      attacker('tls', { host: 'own.attacker.test', paths: [{ path: '/', service: 'attacker' }], tls: [{ hosts: ['tls.victim.test'], secretName: 'stolen' }] }),
      // (d) a rule-less spec.defaultBackend.
      victim('default', 'default.victim.test', [{ path: '/app', service: 'victim' }]),
      attacker('catch-all', { defaultBackend: 'attacker' }),

      // The same moves within the victim's own namespace still merge, as in ingress-nginx.
      victim('samens', 'samens.victim.test'),
      victim('samens-canary', 'samens.victim.test', [{ path: '/', service: 'victim-canary' }], { created: YOUNG, annotations: { canary: 'true', 'canary-weight': '100' } }),
      victim('samens-regex', 'regex2.victim.test', [{ path: '/app', service: 'victim' }]),
      victim('samens-regex-young', 'regex2.victim.test', [{ path: '/x[0-9]+', pathType: 'ImplementationSpecific', service: 'victim-canary' }], { created: YOUNG, annotations: { 'use-regex': 'true' } }),
      victim('samens-tls', 'tls2.victim.test'),
      victim('samens-tls-only', 'other2.victim.test', undefined, { created: YOUNG, tls: [{ hosts: ['tls2.victim.test'], secretName: 'own' }] }),
      // A host's own Ingress's spec.defaultBackend serves the host's unmatched paths, though a rule-less one is older.
      victim('owner-default', 'owner.victim.test', [{ path: '/app', service: 'victim' }], { created: YOUNGER, defaultBackend: 'victim-default' }),
    ]);
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  const servedBy = async (host: string, path: string, n = 1): Promise<string[]> => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await s.get(host, path);
      out.push(r.echo?.service ?? String(r.status));
    }
    return [...new Set(out)];
  };
  const rejectionOf = (namespace: string, name: string) =>
    s.model.rejections.filter((r) => r.ingress.namespace === namespace && r.ingress.name === name).map((r) => `${r.field}: ${r.reason}`);

  test('(a) a canary of another namespace does not attach to the victim path; the victim keeps all of its traffic', async () => {
    expect(await servedBy('canary.victim.test', '/x', 20)).toEqual(['victim']);
    expect(rejectionOf('attacker', 'canary')).toEqual([
      'spec.rules[0].http.paths[0]: canary: the main Ingress of path "/" (Prefix) on host "canary.victim.test" is in namespace victim; a canary attaches only to an Ingress of its own namespace',
    ]);
  });

  test('server-level annotations of another namespace are refused for that host; its own path still merges', async () => {
    expect(await servedBy('canary.victim.test', '/attacker-path')).toEqual(['attacker']);
    expect(await servedBy('canary.victim.test', '/')).toEqual(['victim']);
    // victim-alias.test is no name of the victim's server: the catch-all answers it.
    expect(await servedBy('victim-alias.test', '/')).toEqual(['attacker']);
    expect(s.conf).not.toContain('victim-alias.test');
    const owned = 'the server of host "canary.victim.test" belongs to namespace victim (the namespace of its oldest Ingress); not used there';
    expect(rejectionOf('attacker', 'server-level')).toEqual([
      `metadata.annotations[${PREFIX}/app-root]: app-root is a server-level setting, and ${owned}`,
      `metadata.annotations[${PREFIX}/server-alias]: server-alias is a server-level setting, and ${owned}`,
    ]);
  });

  test('(b) use-regex from another namespace does not put the host in regex mode; the victim keeps every path', async () => {
    expect(await servedBy('regex.victim.test', '/other')).toEqual(['victim']);
    expect(await servedBy('regex.victim.test', '/app/x')).toEqual(['victim']);
    expect(await servedBy('regex.victim.test', '/.*')).toEqual(['victim']);
    expect(s.conf).not.toMatch(/location ~\* "\^\/\.\*"/);
    expect(rejectionOf('attacker', 'regex')).toEqual([
      `metadata.annotations[${PREFIX}/use-regex]: the regex mode of host "regex.victim.test" belongs to namespace victim (the namespace of its oldest Ingress); this Ingress's paths on that host are not served`,
    ]);
  });

  test('(b) on a host in regex mode, another namespace\'s regex-shaped paths are refused; its Exact paths merge as before', async () => {
    expect(await servedBy('regex3.victim.test', '/other')).toEqual(['victim']);
    expect(await servedBy('regex3.victim.test', '/app/x')).toEqual(['victim']);
    expect(await servedBy('regex3.victim.test', '/attacker-exact')).toEqual(['attacker']);
    expect(rejectionOf('attacker', 'regex-plain')).toEqual([
      'spec.rules[0].http.paths[0]: host "regex3.victim.test" is in regex mode, which belongs to namespace victim (the namespace of its oldest Ingress); a Prefix or ImplementationSpecific path of another namespace there would be a regex that can outrank its paths (Exact paths are served)',
    ]);
  });

  test('(c) a host named only in another namespace\'s spec.tls keeps plain http and the default certificate', async () => {
    const plain = await s.get('tls.victim.test', '/p');
    expect([plain.status, plain.echo?.service]).toEqual([200, 'victim']);
    const secure = await s.getTls('tls.victim.test', '/p');
    expect([secure.status, secure.echo?.service, secure.peerCertificate?.subject?.O, secure.peerCertificate?.subject?.CN]).toEqual([200, 'victim', 'Portico', 'Portico Default Certificate']);
    expect(rejectionOf('attacker', 'tls')).toEqual([
      'spec.tls[0].hosts[0]: the TLS of host "tls.victim.test" belongs to namespace victim (the namespace of its oldest Ingress); not used',
    ]);
    // The attacker's own host is served as usual.
    expect(await servedBy('own.attacker.test', '/')).toEqual(['attacker']);
  });

  test('(d) a rule-less spec.defaultBackend answers hosts no rule names, never the unmatched paths of other hosts', async () => {
    expect(await servedBy('default.victim.test', '/app')).toEqual(['victim']);
    expect(await servedBy('default.victim.test', '/other')).toEqual(['404']);
    expect(await servedBy('canary.victim.test', '/')).toEqual(['victim']);
    expect(await servedBy('nobody.test', '/anything')).toEqual(['attacker']);
    expect(rejectionOf('attacker', 'catch-all')).toEqual([]);
  });

  test('within one namespace a canary attaches, regex mode and TLS merge, and the host\'s own default backend serves its unmatched paths', async () => {
    expect(await servedBy('samens.victim.test', '/', 10)).toEqual(['victim-canary']);
    expect(await servedBy('regex2.victim.test', '/x42')).toEqual(['victim-canary']);
    expect(await servedBy('regex2.victim.test', '/app/y')).toEqual(['victim']);
    expect((await s.get('tls2.victim.test', '/')).status).toBe(308);
    const secure = await s.getTls('tls2.victim.test', '/');
    expect([secure.status, secure.echo?.service, secure.peerCertificate?.subject?.CN]).toEqual([200, 'victim', 'tls2.victim.test']);
    expect(await servedBy('owner.victim.test', '/app')).toEqual(['victim']);
    expect(await servedBy('owner.victim.test', '/elsewhere')).toEqual(['victim-default']);
    for (const name of ['samens-canary', 'samens-regex-young', 'samens-tls-only', 'owner-default']) expect([name, rejectionOf('victim', name)]).toEqual([name, []]);
  });
});
