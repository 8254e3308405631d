import { describe, expect, test } from '@jest/globals';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { KubeObject } from '../store/types.js';
import { checkBackendFields, endpointRulesFrom, resolveService as resolveWith, type EndpointChecks, type EndpointIssue } from './backends.js';
import type { EndpointAddressRules } from './endpoint-addresses.js';
import { DEFAULT_MODEL_OPTIONS } from './types.js';

/** Kubernetes-mode rules (no loopback), issues collected in `issues`. */
let issues: EndpointIssue[] = [];
const checksWith = (rules: Partial<EndpointAddressRules> = {}): EndpointChecks => ({ rules: { allowLoopback: false, ownPorts: [], ...rules }, report: (i) => issues.push(i) });
const resolveService = (namespace: string, backend: Parameters<typeof resolveWith>[1], snap: Parameters<typeof resolveWith>[2], checks = checksWith()) => resolveWith(namespace, backend, snap, checks);

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

  test('non-IP addresses in a slice never reach the config, and each is reported with its slice and field', () => {
    issues = [];
    const snap = snapshotFromObjects([
      service,
      slice('a', [{ name: 'http', port: 80 }], [{ addresses: ['10.0.0.1', '1.2.3.4; evil', 'example.com'] }]),
    ] as KubeObject[]);
    expect(resolveService('ns', { service: { name: 'web', port: { name: 'http' } } }, snap).endpoints).toEqual([{ address: '10.0.0.1', port: 80 }]);
    expect(issues.map((i) => `${i.object} ${i.field}`)).toEqual(['EndpointSlice ns/a endpoints[0].addresses[1]', 'EndpointSlice ns/a endpoints[0].addresses[2]']);
  });

  test('IPv6 and dual-stack: an IPv4 and an IPv6 slice of one Service both serve; a family that does not match addressType is left out', () => {
    issues = [];
    const v6 = { ...slice('v6', [{ name: 'http', port: 80 }], [{ addresses: ['fd00::1', '10.0.0.9'] }]), addressType: 'IPv6' };
    const snap = snapshotFromObjects([service, slice('v4', [{ name: 'http', port: 80 }], [{ addresses: ['10.0.0.1', 'fd00::2'] }]), v6] as KubeObject[]);
    expect(resolveService('ns', { service: { name: 'web', port: { name: 'http' } } }, snap).endpoints).toEqual([
      { address: '10.0.0.1', port: 80 },
      { address: 'fd00::1', port: 80 },
    ]);
    expect(issues).toEqual([
      { object: 'EndpointSlice ns/v4', field: 'endpoints[0].addresses[1]', reason: '"fd00::2" is an IPv6 address in a slice of addressType IPv4; the endpoint is left out' },
      { object: 'EndpointSlice ns/v6', field: 'endpoints[0].addresses[1]', reason: '"10.0.0.9" is an IPv4 address in a slice of addressType IPv6; the endpoint is left out' },
    ]);
  });

  test('a zone id, special addresses and bad ports are left out with the field named; the other endpoints stay', () => {
    issues = [];
    const v6 = { ...slice('v6', [{ name: 'http', port: 80 }], [{ addresses: ['fe80::1%eth0', 'fe80::1', '::', '::1', 'ff02::1', 'fd00::1'] }]), addressType: 'IPv6' };
    const v4 = slice('v4', [{ name: 'http', port: 80 }], [{ addresses: ['0.0.0.0', '127.0.0.1', '169.254.169.254', '224.0.0.1', '10.0.0.1'] }]);
    const badPort = slice('port', [{ name: 'http', port: 70000 }], [{ addresses: ['10.0.0.2'] }]);
    const notAList = slice('shape', [{ name: 'http', port: 80 }], [{ addresses: '10.0.0.3' }]);
    const snap = snapshotFromObjects([service, v6, v4, badPort, notAList] as KubeObject[]);
    expect(resolveService('ns', { service: { name: 'web', port: { name: 'http' } } }, snap).endpoints.map((e) => e.address)).toEqual(['10.0.0.1', 'fd00::1']);
    const byField = Object.fromEntries(issues.map((i) => [`${i.object} ${i.field}`, i.reason]));
    expect(byField).toEqual({
      'EndpointSlice ns/v6 endpoints[0].addresses[0]': expect.stringContaining('an IPv6 zone id ("%eth0") is not allowed'),
      'EndpointSlice ns/v6 endpoints[0].addresses[1]': expect.stringContaining('link-local'),
      'EndpointSlice ns/v6 endpoints[0].addresses[2]': expect.stringContaining('unspecified'),
      'EndpointSlice ns/v6 endpoints[0].addresses[3]': expect.stringContaining('loopback'),
      'EndpointSlice ns/v6 endpoints[0].addresses[4]': expect.stringContaining('multicast'),
      'EndpointSlice ns/v4 endpoints[0].addresses[0]': expect.stringContaining('unspecified'),
      'EndpointSlice ns/v4 endpoints[0].addresses[1]': expect.stringContaining('loopback'),
      'EndpointSlice ns/v4 endpoints[0].addresses[2]': expect.stringContaining('link-local'),
      'EndpointSlice ns/v4 endpoints[0].addresses[3]': expect.stringContaining('multicast'),
      'EndpointSlice ns/port ports[0].port': expect.stringContaining('must be an integer from 1 to 65535'),
      'EndpointSlice ns/shape endpoints[0].addresses': 'must be a list',
    });
  });

  test('loopback: served in directory mode, except on the controller\'s own ports; refused from the Kubernetes API', () => {
    const snap = snapshotFromObjects([
      service,
      slice('a', [{ name: 'http', port: 8080 }], [{ addresses: ['127.0.0.1', '127.0.0.2'] }]),
      slice('own', [{ name: 'http', port: 10246 }], [{ addresses: ['127.0.0.1'] }]),
      { ...slice('own6', [{ name: 'http', port: 10246 }], [{ addresses: ['::ffff:127.0.0.1'] }]), addressType: 'IPv6' },
    ] as KubeObject[]);
    const backend = { service: { name: 'web', port: { name: 'http' } } };
    const directory = endpointRulesFrom({ ...DEFAULT_MODEL_OPTIONS, statusPort: 10246, controllerPorts: [10254, 10245] });
    expect(directory).toEqual({ allowLoopback: true, ownPorts: [80, 443, 10246, 10254, 10245] });
    issues = [];
    expect(resolveService('ns', backend, snap, checksWith(directory)).endpoints).toEqual([
      { address: '127.0.0.1', port: 8080 },
      { address: '127.0.0.2', port: 8080 },
    ]);
    expect(issues.map((i) => `${i.object} ${i.field}: ${i.reason}`)).toEqual([
      `EndpointSlice ns/own endpoints[0].addresses[0]: "127.0.0.1" port 10246 is one of the controller's own loopback ports (nginx's traffic ports, status, metrics, debug); the endpoint is left out`,
      `EndpointSlice ns/own6 endpoints[0].addresses[0]: "::ffff:127.0.0.1" port 10246 is one of the controller's own loopback ports (nginx's traffic ports, status, metrics, debug); the endpoint is left out`,
    ]);
    const cluster = endpointRulesFrom({ ...DEFAULT_MODEL_OPTIONS, allowLoopbackEndpoints: undefined });
    expect(cluster.allowLoopback).toBe(false);
    expect(resolveService('ns', backend, snap, checksWith(cluster)).unavailable).toMatch(/no ready endpoints/);
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
