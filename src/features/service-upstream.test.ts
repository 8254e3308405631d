import { describe, expect, test } from '@jest/globals';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { ConfigMap, KubeObject } from '../store/types.js';
import { parseFamily } from '../../test/support/annotation-input.js';
import { parseGlobalConfig } from './registry.js';
import { serviceUpstreamFeature } from './service-upstream.js';
import { buildModel } from '../model/build.js';
import { DEFAULT_MODEL_OPTIONS } from '../model/types.js';

const P = 'nginx.ingress.kubernetes.io';
const CLASS = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'portico' }, spec: { controller: 'portico.dev/ingress-controller' } } as KubeObject;

function service(name: string, clusterIP: string | undefined, port = 80): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec: { clusterIP, ports: [{ port }] } } as KubeObject,
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace: 'ns', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ port: 8080 }],
      endpoints: [{ addresses: ['10.1.0.5'], conditions: { ready: true } }],
    } as KubeObject,
  ];
}

function ingress(name: string, host: string, svc: string, annotations: Record<string, string>, created = '2026-01-01T00:00:00Z'): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'ns', annotations, creationTimestamp: created },
    spec: { ingressClassName: 'portico', rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: svc, port: { number: 80 } } } }] } }] },
  } as KubeObject;
}

function model(objects: KubeObject[]) {
  return buildModel(snapshotFromObjects([CLASS, ...objects]), { ...DEFAULT_MODEL_OPTIONS, stateDir: '/tmp/portico-unit' });
}

describe('service-upstream, default-backend and aliases in the model', () => {
  test('service-upstream uses clusterIP:port; a headless Service keeps its endpoints with a warning', () => {
    const m = model([
      ...service('vip', '10.96.0.10'),
      ...service('headless', 'None'),
      ingress('a', 'a.test', 'vip', { [`${P}/service-upstream`]: 'true' }),
      ingress('b', 'b.test', 'headless', { [`${P}/service-upstream`]: 'true' }),
      ingress('c', 'c.test', 'vip', {}),
    ]);
    const byName = Object.fromEntries(m.upstreams.map((u) => [u.name, u.endpoints]));
    expect(byName['ns.vip.80.clusterip']).toEqual([{ address: '10.96.0.10', port: 80 }]);
    expect(byName['ns.vip.80']).toEqual([{ address: '10.1.0.5', port: 8080 }]);
    expect(byName['ns.headless.80']).toEqual([{ address: '10.1.0.5', port: 8080 }]);
    expect(m.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/service-upstream: Service ns\/headless has no cluster IP/));
  });

  test('default-backend: a missing Service is a warning, not a rejection; custom-http-errors without any error backend warns', () => {
    const m = model([
      ...service('app', '10.96.0.11'),
      ingress('a', 'a.test', 'app', { [`${P}/default-backend`]: 'nope', [`${P}/custom-http-errors`]: '404' }),
    ]);
    expect(m.rejections).toEqual([]);
    const messages = m.warnings.map((w) => w.message);
    expect(messages).toContainEqual(expect.stringMatching(/default-backend: Service ns\/nope not found/));
    expect(messages).toContainEqual(expect.stringMatching(/custom-http-errors: no default-backend annotation and no cluster default backend/));
    expect(m.servers.find((s) => s.host === 'a.test')?.locations[0]?.annotations.customHttpErrors.errorPages).toEqual([]);
  });

  test('server-alias: the older Ingress keeps a contested alias', () => {
    const m = model([
      ...service('app', '10.96.0.11'),
      // The older Ingress has the host that sorts last, so server order alone would give the wrong answer.
      ingress('old', 'zz.test', 'app', { [`${P}/server-alias`]: 'shared.test' }),
      ingress('new', 'aa.test', 'app', { [`${P}/server-alias`]: 'shared.test' }, '2026-02-01T00:00:00Z'),
    ]);
    expect(m.servers.find((s) => s.host === 'zz.test')?.serverNames).toEqual(['zz.test', 'shared.test']);
    expect(m.servers.find((s) => s.host === 'aa.test')?.serverNames).toEqual(['aa.test']);
    expect(m.warnings.map((w) => w.message)).toContainEqual('server-alias shared.test on host aa.test ignored: shared.test is already an alias of host zz.test');
  });
});

describe('service-upstream ConfigMap key', () => {
  const globalOn = (): Record<string, unknown> => parseGlobalConfig({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'service-upstream': 'true' } } as ConfigMap).config as never;

  test('is every Ingress default; the annotation overrides it either way', () => {
    expect(parseFamily(serviceUpstreamFeature, {}, { config: globalOn() }).result).toEqual({ enabled: true });
    expect(parseFamily(serviceUpstreamFeature, { 'service-upstream': 'false' }, { config: globalOn() }).result).toEqual({ enabled: false });
    expect(parseFamily(serviceUpstreamFeature, {}, { config: parseGlobalConfig(undefined).config }).result).toEqual({ enabled: false });
  });

  test('a value other than true/false is a ConfigMap issue and the default stays', () => {
    const { config, issues } = parseGlobalConfig({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'service-upstream': 'yes please' } } as ConfigMap);
    expect(issues).toEqual([{ key: 'service-upstream', reason: 'must be "true" or "false"; the default is kept' }]);
    expect(parseFamily(serviceUpstreamFeature, {}, { config }).result).toEqual({ enabled: false });
  });
});
