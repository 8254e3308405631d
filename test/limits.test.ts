import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../src/store/types.js';
import { LIMITS } from '../src/model/limits.js';
import { INGRESS_CLASS, renderChecked, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

const P = 'nginx.ingress.kubernetes.io';

function ingress(name: string, host: string, paths: string[], annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'big', annotations },
    spec: {
      ingressClassName: 'portico',
      rules: [{ host, http: { paths: paths.map((path) => ({ path, pathType: 'Prefix', backend: { service: { name: 'app', port: { number: 80 } } } })) } }],
    },
  } as KubeObject;
}

describe('size limits: bounded work, and a clear rejection where a limit is hit', () => {
  let backends: Backends;
  let s: Scenario;
  const tenThousand = Array.from({ length: LIMITS.pathsPerIngress }, (_, i) => `/p${i}`);

  beforeAll(async () => {
    backends = await startBackends('app');
    const oneMegabyte = 'a'.repeat(1024 * 1024);
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('big', 'app', [backends.by.app!]),
      ingress('many-paths', 'many.test', tenThousand),
      ingress('too-many-paths', 'toomany.test', [...tenThousand, '/one-more']),
      ingress('huge-annotation', 'huge.test', ['/'], { [`${P}/rewrite-target`]: `/${oneMegabyte}` }),
      ingress('huge-foreign-annotation', 'foreign.test', ['/'], { 'example.com/notes': oneMegabyte }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test('10,000 paths in one Ingress are served', async () => {
    const r = await s.get('many.test', '/p9999/x');
    expect(r.echo?.path).toBe('/p9999/x');
    expect((await s.get('many.test', '/p10000')).status).toBe(404);
  });

  test('one path more is rejected with the limit named', () => {
    expect(s.model.rejections).toContainEqual({
      ingress: { namespace: 'big', name: 'too-many-paths' },
      field: 'spec.rules',
      reason: '10001 paths; at most 10000 are allowed in one Ingress',
      whole: true,
    });
  });

  test('a 1 MB annotation under the prefix is rejected; one under another prefix is harmless', async () => {
    expect(s.model.rejections).toContainEqual(
      expect.objectContaining({ ingress: { namespace: 'big', name: 'huge-annotation' }, field: `metadata.annotations[${P}/rewrite-target]`, reason: 'longer than 65536 characters' }),
    );
    expect((await s.get('foreign.test', '/')).echo?.service).toBe('app');
    expect(s.conf).not.toContain('a'.repeat(1000));
  });

  test('100,000 objects (25,000 Ingresses with Services, EndpointSlices and ConfigMaps) render and pass nginx -t', async () => {
    const objects: KubeObject[] = [INGRESS_CLASS];
    for (let i = 0; i < 25_000; i++) {
      objects.push(
        { kind: 'Service', metadata: { name: `s${i}`, namespace: 'n' }, spec: { ports: [{ port: 80 }] } } as KubeObject,
        { kind: 'EndpointSlice', metadata: { name: `s${i}`, namespace: 'n', labels: { 'kubernetes.io/service-name': `s${i}` } }, ports: [{ port: 80 }], endpoints: [{ addresses: [`10.1.${i >> 8}.${i & 255}`] }] } as KubeObject,
        { kind: 'ConfigMap', metadata: { name: `c${i}`, namespace: 'n' }, data: { k: 'v' } } as KubeObject,
        ingressFor(i),
      );
    }
    const { model, conf } = await renderChecked(objects);
    expect(model.accepted).toHaveLength(25_000);
    expect(model.rejections).toEqual([]);
    expect(conf).toContain('server_name "h24999.test";');
  }, 180_000);
});

function ingressFor(i: number): KubeObject {
  return {
    kind: 'Ingress',
    metadata: { name: `i${i}`, namespace: 'n' },
    spec: { ingressClassName: 'portico', rules: [{ host: `h${i}.test`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `s${i}`, port: { number: 80 } } } }] } }] },
  } as KubeObject;
}
