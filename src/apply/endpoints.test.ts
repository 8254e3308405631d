import { describe, expect, test } from '@jest/globals';
import type { NginxModel, Upstream } from '../model/types.js';
import { changedEndpointSets, dynamicEndpointSets, withoutDynamicEndpoints } from './endpoints.js';

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
