import type { KubeObject } from '../../src/store/types.js';

/** An Ingress of class portico with one host and `[path, service]` Prefix paths. */
export function simpleIngress(
  name: string,
  host: string,
  paths: Array<[string, string]>,
  extra: { annotations?: Record<string, string>; namespace?: string; uid?: string; created?: string } = {},
): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: extra.namespace ?? 'default',
      uid: extra.uid,
      annotations: extra.annotations,
      creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z',
    },
    spec: {
      ingressClassName: 'portico',
      rules: [
        {
          host,
          http: { paths: paths.map(([path, service]) => ({ path, pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } })) },
        },
      ],
    },
  } as KubeObject;
}
