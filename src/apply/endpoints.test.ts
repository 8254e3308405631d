import { describe, expect, test } from '@jest/globals';
import type { NginxModel, Upstream } from '../model/types.js';
import { buildModel } from '../model/build.js';
import { DEFAULT_MODEL_OPTIONS, type ModelOptions } from '../model/types.js';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { KubeObject } from '../store/types.js';
import { changedEndpointSets, dynamicEndpointSets, onlyDynamicEndpointsDiffer, withoutDynamicEndpoints } from './endpoints.js';

const upstream = (name: string, dynamic: boolean, ports: number[]): Upstream => ({
  name,
  service: { namespace: 'default', name },
  servicePort: '80',
  endpoints: ports.map((port) => ({ address: '10.0.0.1', port })),
  loadBalance: 'round_robin',
  keepalive: 32,
  keepaliveTimeoutSeconds: 60,
  dynamic,
});

describe('dynamic endpoints', () => {
  test('withoutDynamicEndpoints drops only the marked server lines', () => {
    const conf = [
      '    upstream a {',
      '        server 10.0.0.1:80 max_fails=0; # dynamic endpoint',
      '        server [fd00::1]:80 max_fails=0; # dynamic endpoint',
      '        balancer_by_lua_block { require("portico_endpoints").balance("a") }',
      '    }',
      '    upstream b {',
      '        hash $remote_addr consistent;',
      '        server 10.0.0.2:80 max_fails=0;',
      '    }',
      '',
    ].join('\n');
    expect(withoutDynamicEndpoints(conf)).toBe(
      ['    upstream a {', '        balancer_by_lua_block { require("portico_endpoints").balance("a") }', '    }', '    upstream b {', '        hash $remote_addr consistent;', '        server 10.0.0.2:80 max_fails=0;', '    }', ''].join('\n'),
    );
  });

  test('only dynamic upstreams have endpoint sets; a change is the upstreams whose list differs', () => {
    const model = { upstreams: [upstream('a', true, [80, 81]), upstream('b', false, [80]), upstream('c', true, [90])] } as NginxModel;
    const sets = dynamicEndpointSets(model);
    expect([...sets]).toEqual([
      ['a', '10.0.0.1:80 10.0.0.1:81'],
      ['c', '10.0.0.1:90'],
    ]);
    expect(changedEndpointSets(sets, new Map([['a', '10.0.0.1:80 10.0.0.1:81'], ['c', '10.0.0.1:91']]))).toEqual([['c', '10.0.0.1:91']]);
    expect(changedEndpointSets(sets, sets)).toEqual([]);
  });
});

describe('onlyDynamicEndpointsDiffer: push or reload, decided from the model', () => {
  const objects = (addresses: string[], opts: { path?: string; loadBalance?: string } = {}): KubeObject[] => [
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'portico' }, spec: { controller: 'portico.dev/ingress-controller' } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'app', namespace: 'default', annotations: opts.loadBalance ? { 'nginx.ingress.kubernetes.io/load-balance': opts.loadBalance } : {} },
      spec: { ingressClassName: 'portico', rules: [{ host: 'app.test', http: { paths: [{ path: opts.path ?? '/', pathType: 'Prefix', backend: { service: { name: 'app', port: { number: 80 } } } }] } }] },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'app', namespace: 'default' }, spec: { ports: [{ port: 80, targetPort: 8080 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'app-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'app' } },
      addressType: 'IPv4',
      ports: [{ port: 8080 }],
      endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    },
  ] as unknown as KubeObject[];
  const dynamicOptions: ModelOptions = { ...DEFAULT_MODEL_OPTIONS, statusPort: 10246, dynamicEndpoints: true };
  const model = (o: KubeObject[], options = dynamicOptions) => buildModel(snapshotFromObjects(o), options);

  test('other endpoints of a dynamic upstream: a push', () => {
    expect(onlyDynamicEndpointsDiffer(model(objects(['10.0.0.1'])), model(objects(['10.0.0.2', '10.0.0.3'])))).toBe(true);
  });

  test('a changed route, endpoints of an upstream that is not dynamic, or dynamic endpoints turned off: a reload', () => {
    expect(onlyDynamicEndpointsDiffer(model(objects(['10.0.0.1'])), model(objects(['10.0.0.1'], { path: '/v2' })))).toBe(false);
    expect(onlyDynamicEndpointsDiffer(model(objects(['10.0.0.1'], { loadBalance: 'least_conn' })), model(objects(['10.0.0.2'], { loadBalance: 'least_conn' })))).toBe(false);
    expect(onlyDynamicEndpointsDiffer(model(objects(['10.0.0.1'])), model(objects(['10.0.0.2']), DEFAULT_MODEL_OPTIONS))).toBe(false);
  });
});
