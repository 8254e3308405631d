// Objects the compat tests build their scenarios from: ingress-nginx's e2e framework's shapes
// (framework.NewSingleIngress and friends), as Portico manifests of class portico.
import type { KubeObject } from '../../src/store/types.js';

export const CONFIGMAP_REF = { configMap: 'ingress/portico' };

export function configMap(data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'portico', namespace: 'ingress' }, data } as KubeObject;
}

/** framework.NewSingleIngress(host, path, host, ns, service, 80, annotations), with spec.tls when tlsSecret is given. */
export function singleIngress(
  name: string,
  host: string,
  service: string,
  opts: { path?: string; annotations?: Record<string, string>; tlsSecret?: string; pathType?: string; namespace?: string } = {},
): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: opts.namespace ?? 'default', annotations: opts.annotations, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      ingressClassName: 'portico',
      ...(opts.tlsSecret ? { tls: [{ hosts: [host], secretName: opts.tlsSecret }] } : {}),
      rules: [
        {
          host,
          http: { paths: [{ path: opts.path ?? '/', pathType: opts.pathType ?? 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] },
        },
      ],
    },
  } as KubeObject;
}
