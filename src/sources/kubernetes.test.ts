import { afterEach, describe, expect, it } from '@jest/globals';
import type { Informer, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { Store } from '../store/snapshot.js';
import type { ResourceKind } from '../store/types.js';
import { backoffDelay, KubernetesSource, toPlainObject, type InformerFactory, type KindSpec } from './kubernetes.js';

type Cb = (x?: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Stands in for client-node's ListWatch: start() lists through listFn, then the test drives events. */
class FakeInformer {
  readonly cbs: Record<string, Cb[]> = { add: [], update: [], delete: [], connect: [], error: [] };
  stopped = false;
  constructor(readonly listFn: () => Promise<KubernetesListObject<KubernetesObject>>) {}
  on(verb: string, cb: Cb): void {
    this.cbs[verb]!.push(cb);
  }
  off(): void {}
  async start(): Promise<void> {
    this.emit('connect');
    let list;
    try {
      list = await this.listFn();
    } catch (err) {
      this.emit('error', err);
      return;
    }
    for (const item of list.items) this.emit('add', item);
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  emit(verb: string, obj?: unknown): void {
    for (const cb of this.cbs[verb]!) cb(obj);
  }
}

interface Harness {
  source: KubernetesSource;
  store: Store;
  informers: Map<ResourceKind, FakeInformer[]>;
  lists: Map<ResourceKind, Array<() => Promise<KubernetesListObject<KubernetesObject>>>>;
  changes: string[];
}

const KINDS: ResourceKind[] = ['Ingress', 'Service'];
const obj = (name: string, rv = '1'): KubernetesObject => ({ metadata: { name, namespace: 'ns', resourceVersion: rv, creationTimestamp: new Date(Date.UTC(2024, 0, 1)) as never } });
const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
const tick = () => new Promise((r) => setTimeout(r, 5));

let running: KubernetesSource[] = [];
afterEach(async () => {
  for (const s of running) await s.stop();
  running = [];
});

/** Each kind's list answers from a queue the test fills (a pending promise = a list in flight). */
function harness(timing = {}): Harness {
  const informers = new Map<ResourceKind, FakeInformer[]>();
  const lists = new Map<ResourceKind, Array<() => Promise<KubernetesListObject<KubernetesObject>>>>();
  const specs: KindSpec[] = KINDS.map((kind) => ({
    kind,
    apiVersion: 'v1',
    path: `/${kind}`,
    list: () => {
      const next = lists.get(kind)?.shift();
      return next ? next() : Promise.resolve({ items: [] });
    },
  }));
  const factory: InformerFactory = (spec, listFn) => {
    const inf = new FakeInformer(listFn);
    informers.set(spec.kind, [...(informers.get(spec.kind) ?? []), inf]);
    return { informer: inf as unknown as Informer<KubernetesObject>, close: () => undefined };
  };
  const source = new KubernetesSource({ specs, factory, timing: { backoffInitialMs: 20, backoffMaxMs: 40, watchdogIntervalMs: 10, ...timing } });
  running.push(source);
  return { source, store: new Store(), informers, lists, changes: [] };
}

describe('backoffDelay', () => {
  it('grows exponentially with jitter up to the maximum', () => {
    const t = { backoffInitialMs: 500, backoffMaxMs: 30_000 };
    expect(backoffDelay(0, t, () => 0.5)).toBe(500);
    expect(backoffDelay(3, t, () => 0.5)).toBe(4_000);
    expect(backoffDelay(20, t, () => 0.5)).toBe(30_000);
    expect(backoffDelay(0, t, () => 0)).toBe(375);
    expect(backoffDelay(0, t, () => 0.999)).toBeGreaterThan(620);
  });
});

describe('toPlainObject', () => {
  it('turns client-node instances into the JSON a manifest gives, with kind and apiVersion', () => {
    const plain = toPlainObject(obj('a'), 'Ingress', 'networking.k8s.io/v1');
    expect(plain).toEqual({
      kind: 'Ingress',
      apiVersion: 'networking.k8s.io/v1',
      metadata: { name: 'a', namespace: 'ns', resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00.000Z' },
    });
  });
});

describe('KubernetesSource', () => {
  it('is synced only once every kind has listed', async () => {
    const h = harness();
    const services = deferred<KubernetesListObject<KubernetesObject>>();
    h.lists.set('Ingress', [async () => ({ items: [obj('web')] })]);
    h.lists.set('Service', [() => services.promise]);
    await h.source.start(h.store, (r) => h.changes.push(r));
    await tick();
    expect(h.source.synced).toBe(false);
    expect(h.store.snapshot().ingresses.has('ns/web')).toBe(true);
    services.resolve({ items: [obj('svc')] });
    await tick();
    expect(h.source.synced).toBe(true);
    expect(h.store.snapshot().services.get('ns/svc')).toMatchObject({ kind: 'Service', apiVersion: 'v1' });
    expect(h.changes).toContain('listed Service');
  });

  it('follows watch events', async () => {
    const h = harness();
    await h.source.start(h.store, (r) => h.changes.push(r));
    await tick();
    const inf = h.informers.get('Ingress')![0]!;
    inf.emit('add', obj('a'));
    expect(h.store.snapshot().ingresses.has('ns/a')).toBe(true);
    inf.emit('delete', obj('a'));
    expect(h.store.snapshot().ingresses.has('ns/a')).toBe(false);
  });

  it('restarts an informer that stopped on an error, unsynced during the relist, and swaps the kind at once', async () => {
    const h = harness();
    h.lists.set('Ingress', [async () => ({ items: [obj('old1'), obj('old2')] })]);
    await h.source.start(h.store, (r) => h.changes.push(r));
    await tick();
    expect(h.source.synced).toBe(true);

    const relist = deferred<KubernetesListObject<KubernetesObject>>();
    h.lists.set('Ingress', [async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), () => relist.promise]);
    const first = h.informers.get('Ingress')![0]!;
    first.emit('error', new Error('watch ended: 500'));
    await new Promise((r) => setTimeout(r, 150)); // two restarts with backoff: the failed list, then the pending one
    expect(h.informers.get('Ingress')!.length).toBe(3);
    expect(h.source.synced).toBe(false);
    // The old complete list stays visible (never an empty or partial kind) until the new one is complete.
    expect([...h.store.snapshot().ingresses.keys()].sort()).toEqual(['ns/old1', 'ns/old2']);
    // A late event from the stopped informer is ignored.
    first.emit('add', obj('zombie'));
    expect(h.store.snapshot().ingresses.has('ns/zombie')).toBe(false);

    relist.resolve({ items: [obj('new')] });
    await tick();
    expect(h.source.synced).toBe(true);
    expect([...h.store.snapshot().ingresses.keys()]).toEqual(['ns/new']);
    expect(h.source.status().find((s) => s.kind === 'Ingress')!.restarts).toBe(2);
  });

  it('restarts an informer whose list hangs, or that has been silent too long', async () => {
    const h = harness({ stuckMs: 50, silenceMs: 80 });
    const hang = deferred<KubernetesListObject<KubernetesObject>>();
    h.lists.set('Service', [() => hang.promise]);
    await h.source.start(h.store, (r) => h.changes.push(r));
    await new Promise((r) => setTimeout(r, 120));
    expect(h.informers.get('Service')!.length).toBeGreaterThanOrEqual(2);
    expect(h.source.synced).toBe(true);
    // The hung list answering late changes nothing.
    hang.resolve({ items: [obj('late')] });
    await tick();
    expect(h.store.snapshot().services.has('ns/late')).toBe(false);

    const before = h.informers.get('Ingress')!.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(h.informers.get('Ingress')!.length).toBeGreaterThan(before);
  });

  it('stops every informer on stop()', async () => {
    const h = harness();
    await h.source.start(h.store, () => undefined);
    await tick();
    await h.source.stop();
    for (const list of h.informers.values()) expect(list.every((i) => i.stopped)).toBe(true);
  });
});
