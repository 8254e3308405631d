// Replays kubernetes/ingress-nginx test/e2e/annotations/serviceupstream.go ("service-upstream") as real
// requests through Portico's render pipeline, a real nginx and echo backends. ingress-nginx reads its Lua
// balancer's backend list to see the Service's cluster IP; here the cluster IP:port is one backend ("vip")
// and the Service's endpoints another ("pods"), so the backend that answers shows which one nginx used.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/store/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const HOST = 'serviceupstream';

describe('ingress-nginx annotations/serviceupstream.go', () => {
  let backends: Backends;
  const scenarios: Scenario[] = [];

  /** The echo Service: cluster IP 127.0.0.1 on vip's port, endpoints at pods. */
  const objects = (annotations: Record<string, string> | undefined, cm?: Record<string, string>): KubeObject[] => {
    const svc = serviceFor('default', 'echo', [backends.by.pods!], { port: backends.by.vip!.port });
    (svc[0] as { spec: { clusterIP?: string } }).spec.clusterIP = '127.0.0.1';
    const ingress: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: HOST, namespace: 'default', annotations },
      spec: {
        ingressClassName: 'portico',
        rules: [{ host: HOST, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'echo', port: { number: backends.by.vip!.port } } } }] } }],
      },
    } as KubeObject;
    return [INGRESS_CLASS, ...svc, ingress, ...(cm ? [configMap(cm)] : [])];
  };
  const start = async (annotations: Record<string, string> | undefined, cm?: Record<string, string>) => {
    const s = await startScenario(objects(annotations, cm), cm ? CONFIGMAP_REF : {});
    scenarios.push(s);
    return s;
  };

  beforeAll(async () => {
    backends = await startBackends('vip', 'pods');
  });
  afterAll(async () => {
    for (const s of scenarios) await s.stop();
    await backends?.stopAll();
  });

  // Context("when using the default value (false) and enabling in the annotations")
  // It("should use the Service Cluster IP and Port ")
  test('annotation true: should use the Service Cluster IP and Port', async () => {
    const s = await start({ [`${P}/service-upstream`]: 'true' });
    const r = await s.get(HOST, '/');
    expect([r.status, r.echo?.service]).toEqual([200, 'vip']);
  });

  // Without the annotation the endpoints are used (the default the Context names).
  test('default: the endpoints are used', async () => {
    const s = await start(undefined);
    expect((await s.get(HOST, '/')).echo?.service).toBe('pods');
  });

  // Context("when enabling in the configmap")
  // It("should use the Service Cluster IP and Port ")
  test('configmap true: should use the Service Cluster IP and Port', async () => {
    const s = await start(undefined, { 'service-upstream': 'true' });
    const r = await s.get(HOST, '/');
    expect([r.status, r.echo?.service]).toEqual([200, 'vip']);
    expect(s.model.warnings).toEqual([]);
  });

  // Context("when enabling in the configmap and disabling in the annotations")
  // It("should not use the Service Cluster IP and Port")
  test('configmap true, annotation false: should not use the Service Cluster IP and Port', async () => {
    const s = await start({ [`${P}/service-upstream`]: 'false' }, { 'service-upstream': 'true' });
    const r = await s.get(HOST, '/');
    expect([r.status, r.echo?.service]).toEqual([200, 'pods']);
  });
});
