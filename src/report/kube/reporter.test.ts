import { describe, expect, it } from '@jest/globals';
import type { EventsV1Event } from '@kubernetes/client-node';
import { buildModel } from '../../model/build.js';
import { DEFAULT_MODEL_OPTIONS, type Rejection } from '../../model/types.js';
import { snapshotFromObjects } from '../../store/snapshot.js';
import type { Ingress, KubeObject, Service } from '../../store/types.js';
import type { SyncReport } from '../../reconcile/ports.js';
import { silentLog } from '../../log.js';
import type { ReporterApi } from './api.js';
import { buildEvent, EventMemory } from './events.js';
import { KubeReporter } from './reporter.js';
import { addressesFromList, addressesFromService, planStatus, sameAddresses, type LoadBalancerIngress } from './status.js';

const options = { ...DEFAULT_MODEL_OPTIONS, stateDir: '/tmp/portico-unit' };

function ing(name: string, host: string, service: string, extra: { className?: string; annotations?: Record<string, string>; status?: LoadBalancerIngress[] } = {}): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations: extra.annotations, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: {
      ingressClassName: extra.className ?? 'portico',
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] } }],
    },
    status: extra.status ? { loadBalancer: { ingress: extra.status } } : undefined,
  };
}

const ingressClass: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'portico' }, spec: { controller: 'portico.dev/ingress-controller' } } as KubeObject;

function report(objects: KubeObject[], extra: Partial<SyncReport> = {}): SyncReport {
  return { model: buildModel(snapshotFromObjects([ingressClass, ...objects]), options), reloaded: true, configHash: 'abc123', excluded: [], ...extra };
}

describe('published address', () => {
  const svc = (s: Partial<Service>): Service => ({ kind: 'Service', metadata: { name: 'lb', namespace: 'portico' }, ...s });
  it("prefers the Service's load balancer, then externalIPs, then clusterIP", () => {
    const spec = { clusterIP: '10.96.0.7', externalIPs: ['203.0.113.5'] };
    expect(addressesFromService(svc({ spec, status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }, { hostname: 'lb.example.com' }] } } }))).toEqual([
      { ip: '198.51.100.1' },
      { hostname: 'lb.example.com' },
    ]);
    expect(addressesFromService(svc({ spec, status: { loadBalancer: {} } }))).toEqual([{ ip: '203.0.113.5' }]);
    expect(addressesFromService(svc({ spec: { clusterIP: '10.96.0.7' } }))).toEqual([{ ip: '10.96.0.7' }]);
    expect(addressesFromService(svc({ spec: { clusterIP: 'None' } }))).toEqual([]);
    expect(addressesFromService(undefined)).toEqual([]);
  });
  it('publishes IPs as ip and names as hostname', () => {
    expect(addressesFromList(['192.0.2.1', '2001:db8::1', 'lb.example.com'])).toEqual([{ ip: '192.0.2.1' }, { ip: '2001:db8::1' }, { hostname: 'lb.example.com' }]);
  });
  it('compares status lists without regard to order', () => {
    expect(sameAddresses([{ ip: '1.1.1.1' }, { hostname: 'a' }], [{ hostname: 'a' }, { ip: '1.1.1.1' }])).toBe(true);
    expect(sameAddresses([{ ip: '1.1.1.1' }], [{ ip: '1.1.1.1' }, { hostname: 'a' }])).toBe(false);
  });
});

describe('planStatus', () => {
  const pub = [{ ip: '192.0.2.1' }];
  const ours = new Set(['ip:192.0.2.1']);
  it('sets served Ingresses that differ, leaves equal ones alone, clears ours from the rest', () => {
    const changes = planStatus(
      [
        ing('new', 'a', 's'),
        ing('same', 'b', 's', { status: [{ ip: '192.0.2.1' }] }),
        ing('gone', 'c', 's', { status: [{ ip: '192.0.2.1' }, { ip: '198.51.100.9' }] }),
        ing('foreign', 'd', 's', { status: [{ ip: '198.51.100.9' }] }),
      ],
      new Set(['default/new', 'default/same']),
      pub,
      ours,
    );
    expect(changes).toEqual([
      { namespace: 'default', name: 'new', addresses: pub },
      { namespace: 'default', name: 'gone', addresses: [{ ip: '198.51.100.9' }] },
    ]);
  });
});

describe('EventMemory', () => {
  it('reports Sync once per applied version and Rejected once per distinct reason', () => {
    const memory = new EventMemory();
    const good = ing('good', 'good.test', 'svc');
    const bad = ing('bad', 'bad.test', 'svc', { annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'maybe' } });
    const first = memory.plan(report([good, bad]));
    expect(first.map((e) => `${e.type} ${e.reason} ${e.ingress.name}`).sort()).toEqual(['Normal Sync good', 'Warning Rejected bad'].sort());
    expect(first.find((e) => e.reason === 'Rejected')!.note).toContain('must be "true" or "false"');

    // The same state again: nothing new.
    expect(memory.plan(report([good, bad]))).toEqual([]);

    // good changes its backend: Sync again; bad's reason is unchanged: no repeat.
    const changed = memory.plan(report([ing('good', 'good.test', 'other'), bad]));
    expect(changed.map((e) => `${e.reason} ${e.ingress.name}`)).toEqual(['Sync good']);

    // Another invalid value with the same reason text: no repeat; a different reason: reported.
    const bad2 = ing('bad', 'bad.test', 'svc', { annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'nope' } });
    expect(memory.plan(report([ing('good', 'good.test', 'other'), bad2]))).toEqual([]);
    const bad3 = ing('bad', 'bad.test', 'svc', { annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/a b;' } });
    const third = memory.plan(report([ing('good', 'good.test', 'other'), bad3]));
    expect(third.map((e) => `${e.reason} ${e.ingress.name}`)).toEqual(['Rejected bad']);
    // Fixed, then broken again the same way: reported again.
    const fixed = memory.plan(report([ing('good', 'good.test', 'other'), ing('bad', 'bad.test', 'svc')]));
    expect(fixed.map((e) => `${e.reason} ${e.ingress.name}`)).toEqual(['Sync bad']);
    const again = memory.plan(report([ing('good', 'good.test', 'other'), bad]));
    expect(again.map((e) => `${e.reason} ${e.ingress.name}`)).toEqual(['Rejected bad']);
  });

  it('reports an ignored annotation as one Warning Event naming it, again only when it recurs', () => {
    const memory = new EventMemory();
    const legacy = ing('legacy', 'legacy.test', 'svc', { annotations: { 'nginx.ingress.kubernetes.io/enable-opentelemetry': 'true' } });
    const first = memory.plan(report([legacy]));
    const warning = first.find((e) => e.reason === 'Warning');
    expect(warning?.type).toBe('Warning');
    expect(warning?.note).toBe('annotation nginx.ingress.kubernetes.io/enable-opentelemetry is not supported by Portico and is ignored');
    expect(memory.plan(report([legacy]))).toEqual([]);
    memory.plan(report([ing('legacy', 'legacy.test', 'svc')]));
    expect(memory.plan(report([legacy])).map((e) => e.reason)).toContain('Warning');
  });

  it('reports several ignored annotations of one Ingress as one Warning Event listing them, sorted', () => {
    const memory = new EventMemory();
    const keys = ['mirror-target', 'enable-opentelemetry', 'limit-whitelist'].map((k) => `nginx.ingress.kubernetes.io/${k}`);
    const legacy = ing('legacy', 'legacy.test', 'svc', { annotations: Object.fromEntries(keys.map((k) => [k, 'x'])) });
    const warnings = memory.plan(report([legacy])).filter((e) => e.reason === 'Warning');
    expect(warnings.map((e) => e.note)).toEqual([`annotations ${[...keys].sort().join(', ')} are not supported by Portico and are ignored`]);
  });

  it('reports a ConfigMap key ignored as a Warning Event regarding the ConfigMap, once while it lasts', () => {
    const memory = new EventMemory();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'portico' }, data: { 'proxy-buffers-number': '2' } } as KubeObject;
    const withCm = (objects: KubeObject[]): SyncReport => ({ ...report(objects), model: buildModel(snapshotFromObjects([ingressClass, ...objects]), { ...options, configMap: 'portico/cfg' }) });
    const first = memory.plan(withCm([cm])).filter((e) => e.configMap);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ type: 'Warning', reason: 'Warning', ingress: { namespace: 'portico', name: 'cfg' } });
    expect(first[0]!.note).toMatch(/^proxy-buffers-number: must be at least 3/);
    const event = buildEvent(first[0]!, undefined, 'pod-1', new Date(0));
    expect(event.regarding).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'portico', name: 'cfg' });
    expect(event.metadata?.namespace).toBe('portico');
    expect(memory.plan(withCm([cm])).filter((e) => e.configMap)).toEqual([]);
  });

  it('sends no Sync while the config could not be applied, and retries an Event that failed', () => {
    const memory = new EventMemory();
    const good = ing('good', 'good.test', 'svc');
    expect(memory.plan(report([good], { error: 'nginx -t failed', reloaded: false }))).toEqual([]);
    const events = memory.plan(report([good]));
    expect(events).toHaveLength(1);
    events[0]!.forget();
    expect(memory.plan(report([good]))).toHaveLength(1);
  });

  it('reports an Ingress excluded by nginx -t as Rejected and not as Sync', () => {
    const memory = new EventMemory();
    const good = ing('good', 'good.test', 'svc');
    const excluded: Rejection = { ingress: { namespace: 'default', name: 'good' }, field: 'nginx -t', reason: 'unknown directive', whole: true };
    const events = memory.plan(report([good], { excluded: [excluded] }));
    expect(events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning Rejected']);
    expect(events[0]!.note).toContain('nginx -t failed');
  });
});

describe('buildEvent', () => {
  it('writes an events.k8s.io/v1 Event with a microsecond eventTime', () => {
    const e = buildEvent(
      { ingress: { namespace: 'ns', name: 'web' }, type: 'Warning', reason: 'Rejected', action: 'Validate', note: 'x'.repeat(5000), forget: () => undefined },
      'uid-1',
      'pod-1',
      new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
    );
    expect(e.eventTime.toISOString()).toBe('2024-01-02T03:04:05.678000Z');
    expect(e.metadata?.name).toMatch(/^web\.[0-9a-f]+$/);
    expect(e.note!.length).toBeLessThanOrEqual(1000);
    expect(e).toMatchObject({ reportingController: 'portico.dev/ingress-controller', reportingInstance: 'pod-1', regarding: { kind: 'Ingress', name: 'web', namespace: 'ns', uid: 'uid-1' } });
  });
});

describe('KubeReporter', () => {
  function fakeApi(ingresses: Ingress[]) {
    const calls = { patches: [] as Array<[string, LoadBalancerIngress[]]>, events: [] as EventsV1Event[] };
    const api: ReporterApi = {
      listIngresses: async () => ingresses,
      readService: async () => undefined,
      patchIngressStatus: async (_ns, name, addresses) => {
        calls.patches.push([name, addresses]);
      },
      createEvent: async (e) => {
        calls.events.push(e);
      },
    };
    return { api, calls };
  }
  const base = { log: silentLog, electionId: 'x', electionNamespace: 'portico', identity: 'me', controllerClass: 'portico.dev/ingress-controller', resyncMs: 0 };

  it('writes nothing as a follower, and status and Events once leading', async () => {
    const good = ing('good', 'good.test', 'svc');
    const theirs = ing('theirs', 'theirs.test', 'svc', { className: 'other', status: [{ ip: '192.0.2.1' }] });
    const { api, calls } = fakeApi([good, theirs]);
    const reporter = new KubeReporter({ ...base, publishStatusAddress: ['192.0.2.1'] }, api);
    let leader = false;
    reporter.elector = { get isLeader() { return leader; }, stop: async () => undefined };
    await reporter.onSync(report([good, theirs]));
    await reporter.idle();
    expect(calls).toEqual({ patches: [], events: [] });

    leader = true;
    reporter.kick();
    await reporter.idle();
    expect(calls.patches).toEqual([
      ['good', [{ ip: '192.0.2.1' }]],
      ['theirs', []],
    ]);
    // The follower already remembered the Sync: a new leader does not repeat it.
    expect(calls.events).toEqual([]);
    await reporter.stop();
  });

  it('leaves status alone when the published Service is missing', async () => {
    const good = ing('good', 'good.test', 'svc');
    const { api, calls } = fakeApi([good]);
    const reporter = new KubeReporter({ ...base, publishService: 'portico/missing' }, api);
    await reporter.onSync(report([good]));
    await reporter.idle();
    expect(calls.patches).toEqual([]);
    expect(calls.events.map((e) => e.reason)).toEqual(['Sync']);
    await reporter.stop();
  });
});
