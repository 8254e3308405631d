// Objects for the in-process sync loop tests: an Ingress to a Service whose endpoints the test moves.
import type { KubeObject } from '../../src/store/types.js';
import { simpleIngress } from '../support/ingress.js';

export function ingress(name: string, path = '/', uid = `uid-${name}`): KubeObject {
  return simpleIngress(name, `${name}.test`, [[path, 'svc']], { uid });
}

/** Service `svc` (port 80) and its EndpointSlice with endpoints 127.0.0.N:8080 for each N given. */
export function service(...hosts: number[]): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'default' }, spec: { ports: [{ port: 80, targetPort: 8080 }] } } as KubeObject,
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'svc-0', namespace: 'default', labels: { 'kubernetes.io/service-name': 'svc' } },
      addressType: 'IPv4',
      ports: [{ port: 8080 }],
      endpoints: hosts.map((n) => ({ addresses: [`127.0.0.${n}`], conditions: { ready: true } })),
    } as KubeObject,
  ];
}
