import { describe, expect, test } from '@jest/globals';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { KubeObject } from '../store/types.js';
import { checkBackendFields, resolveService } from './backends.js';

const service = {
  kind: 'Service',
  metadata: { name: 'web', namespace: 'ns' },
  spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'admin', port: 9000 }] },
};
const slice = (name: string, ports: unknown[], endpoints: unknown[], svc = 'web') => ({
  kind: 'EndpointSlice',
  metadata: { name, namespace: 'ns', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  ports,
  endpoints,
});

describe('resolveService', () => {
  test('by port name and number, picking the slice port with the Service port name, across slices, deduplicated', () => {
    const snap = snapshotFromObjects([
      service,
      slice('a', [{ name: 'http', port: 8080 }, { name: 'admin', port: 9090 }], [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'], conditions: { ready: true } }]),
      slice('b', [{ name: 'http', port: 8080 }], [{ addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.3'] }]),
      slice('other', [{ name: 'http', port: 1 }], [{ addresses: ['10.9.9.9'] }], 'different'),
    ] as KubeObject[]);
    const byName = resolveService('ns', { service: { name: 'web', port: { name: 'http' } } }, snap);
    expect(byName.endpoints).toEqual([
      { address: '10.0.0.1', port: 8080 },
      { address: '10.0.0.2', port: 8080 },
      { address: '10.0.0.3', port: 8080 },
    ]);
    const byNumber = resolveService('ns', { service: { name: 'web', port: { number: 9000 } } }, snap);
    expect(byNumber.endpoints).toEqual([{ address: '10.0.0.1', port: 9090 }, { address: '10.0.0.2', port: 9090 }]);
  });

  test('ready endpoints only; serving-and-terminating ones when none is ready', () => {
    const mixed = snapshotFromObjects([
      service,
      slice('a', [{ name: 'http', port: 80 }], [
        { addresses: ['10.0.0.1'], conditions: { ready: true } },
        { addresses: ['10.0.0.2'], conditions: { ready: false, serving: true, terminating: true } },
        { addresses: ['10.0.0.3'], conditions: { ready: false } },
      ]),
    ] as KubeObject[]);
    expect(resolveService('ns', { service: { name: 'web', port: { name: 'http' } } }, mixed).endpoints.map((e) => e.address)).toEqual(['10.0.0.1']);
    const draining = snapshotFromObjects([
      service,
      slice('a', [{ name: 'http', port: 80 }], [
        { addresses: ['10.0.0.2'], conditions: { ready: false, serving: true, terminating: true } },
        { addresses: ['10.0.0.3'], conditions: { ready: false, serving: false, terminating: true } },
      ]),
    ] as KubeObject[]);
    expect(resolveService('ns', { service: { name: 'web', port: { name: 'http' } } }, draining).endpoints.map((e) => e.address)).toEqual(['10.0.0.2']);
  });

  test('unavailable with a reason: no Service, no such port, no endpoints', () => {
    const snap = snapshotFromObjects([service] as KubeObject[]);
    expect(resolveService('ns', { service: { name: 'nope', port: { number: 80 } } }, snap).unavailable).toBe('Service ns/nope not found');
    expect(resolveService('ns', { service: { name: 'web', port: { number: 81 } } }, snap).unavailable).toBe('Service ns/web has no port 81');
    expect(resolveService('ns', { service: { name: 'web', port: { number: 80 } } }, snap).unavailable).toMatch(/no ready endpoints/);
  });

  test('non-IP addresses in a slice never reach the config', () => {
    const snap = snapshotFromObjects([
      service,
      slice('a', [{ name: 'http', port: 80 }], [{ addresses: ['10.0.0.1', '1.2.3.4; evil', 'example.com'] }]),
    ] as KubeObject[]);
    expect(resolveService('ns', { service: { name: 'web', port: { name: 'http' } } }, snap).endpoints).toEqual([{ address: '10.0.0.1', port: 80 }]);
  });
});

describe('checkBackendFields', () => {
  test('names the field at fault', () => {
    expect(checkBackendFields({ service: { name: 'Bad_Name', port: { number: 80 } } }, 'b')?.field).toBe('b.service.name');
    expect(checkBackendFields({ service: { name: 'ok', port: { number: 70000 } } }, 'b')?.field).toBe('b.service.port.number');
    expect(checkBackendFields({ service: { name: 'ok', port: { name: 'x;y' } } }, 'b')?.field).toBe('b.service.port.name');
    expect(checkBackendFields({ resource: { kind: 'Bucket', name: 'x' } }, 'b')?.reason).toMatch(/not supported/);
    expect(checkBackendFields({ service: { name: 'ok', port: { name: 'http' } } }, 'b')).toBeUndefined();
  });
});
