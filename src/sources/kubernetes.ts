import {
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  ListWatch,
  NetworkingV1Api,
  Watch,
  type Informer,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { describeError, loadKubeConfig } from '../kube/client.js';
import { silentLog, type Log } from '../log.js';
import type { Store } from '../store/snapshot.js';
import { objectKey } from '../store/snapshot.js';
import type { KubeObject, ResourceKind } from '../store/types.js';
import { RESOURCE_KINDS } from '../store/types.js';
import type { Source } from './source.js';

/** Options of the Kubernetes API source (informers). */
interface KubernetesSourceOptions {
  /** Path to a kubeconfig; undefined: in-cluster configuration. */
  kubeconfig?: string;
  /** Narrows the namespaced kinds to one namespace; undefined: all namespaces. */
  watchNamespace?: string;
  /** Timing of restarts and of the watchdog; the defaults suit production. */
  timing?: Partial<InformerTiming>;
  /** Where what happens to the informers (restarts, errors) is logged. */
  log: Log;
}

interface InformerTiming {
  /** First restart delay after an informer stopped on an error. */
  backoffInitialMs: number;
  /** Upper bound of the restart delay. */
  backoffMaxMs: number;
  /** An informer that ran this long without an error starts its backoff from the beginning again. */
  backoffResetAfterMs: number;
  /** How often the watchdog looks at the informers. */
  watchdogIntervalMs: number;
  /** An informer with no event, connect or list for this long is restarted (a relist). */
  silenceMs: number;
  /** A list (or a stopped informer waiting for its restart) that has not finished after this long is restarted. */
  stuckMs: number;
}

const DEFAULT_INFORMER_TIMING: InformerTiming = {
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  backoffResetAfterMs: 60_000,
  watchdogIntervalMs: 5_000,
  silenceMs: 15 * 60_000,
  stuckMs: 90_000,
};

/** Jittered exponential backoff: attempt 0 → about initial, doubling up to max; the jitter is ±25%. */
export function backoffDelay(attempt: number, timing: Pick<InformerTiming, 'backoffInitialMs' | 'backoffMaxMs'>, random = Math.random): number {
  const base = Math.min(timing.backoffMaxMs, timing.backoffInitialMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(base * (0.75 + 0.5 * random())));
}

/**
 * Client-node's model classes carry Dates and may differ from the wire; the model reads plain JSON, the
 * same shape a YAML manifest gives. Watch events are already plain JSON; list items are class instances.
 */
export function toPlainObject(obj: KubernetesObject, kind: ResourceKind, apiVersion: string): KubeObject {
  const plain = JSON.parse(JSON.stringify(obj)) as KubeObject;
  plain.kind = kind;
  plain.apiVersion = apiVersion;
  return plain;
}

/** One watched kind: where to list and watch it. */
export interface KindSpec {
  kind: ResourceKind;
  apiVersion: string;
  /** The watch path (the list path without query). */
  path: string;
  list(): Promise<KubernetesListObject<KubernetesObject>>;
}

/** Builds an informer over a path with a list function (client-node's ListWatch, or a fake in tests). */
export type InformerFactory = (spec: KindSpec, listFn: () => Promise<KubernetesListObject<KubernetesObject>>) => {
  informer: Informer<KubernetesObject>;
  /** Ends every watch connection this informer opened, even one still connecting when stop() was called. */
  close(): void;
};

function kindSpecs(kc: KubeConfig, namespace: string | undefined): KindSpec[] {
  const core = kc.makeApiClient(CoreV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const disc = kc.makeApiClient(DiscoveryV1Api);
  const ns = namespace;
  const nsPath = (prefix: string, plural: string): string =>
    ns ? `${prefix}/namespaces/${encodeURIComponent(ns)}/${plural}` : `${prefix}/${plural}`;
  type L = Promise<KubernetesListObject<KubernetesObject>>;
  return [
    {
      kind: 'Ingress',
      apiVersion: 'networking.k8s.io/v1',
      path: nsPath('/apis/networking.k8s.io/v1', 'ingresses'),
      list: () => (ns ? net.listNamespacedIngress({ namespace: ns }) : net.listIngressForAllNamespaces()) as L,
    },
    {
      kind: 'IngressClass',
      apiVersion: 'networking.k8s.io/v1',
      path: '/apis/networking.k8s.io/v1/ingressclasses',
      list: () => net.listIngressClass() as L,
    },
    {
      kind: 'Service',
      apiVersion: 'v1',
      path: nsPath('/api/v1', 'services'),
      list: () => (ns ? core.listNamespacedService({ namespace: ns }) : core.listServiceForAllNamespaces()) as L,
    },
    {
      kind: 'EndpointSlice',
      apiVersion: 'discovery.k8s.io/v1',
      path: nsPath('/apis/discovery.k8s.io/v1', 'endpointslices'),
      list: () => (ns ? disc.listNamespacedEndpointSlice({ namespace: ns }) : disc.listEndpointSliceForAllNamespaces()) as L,
    },
    {
      kind: 'Secret',
      apiVersion: 'v1',
      path: nsPath('/api/v1', 'secrets'),
      list: () => (ns ? core.listNamespacedSecret({ namespace: ns }) : core.listSecretForAllNamespaces()) as L,
    },
    {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      path: nsPath('/api/v1', 'configmaps'),
      list: () => (ns ? core.listNamespacedConfigMap({ namespace: ns }) : core.listConfigMapForAllNamespaces()) as L,
    },
  ];
}

/** A Watch that remembers its connections so that a stopped informer can never leave one open. */
class TrackedWatch extends Watch {
  private readonly controllers = new Set<AbortController>();
  private closed = false;

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: any, watchObj?: any) => void, // eslint-disable-line @typescript-eslint/no-explicit-any
    done: (err: any) => void, // eslint-disable-line @typescript-eslint/no-explicit-any
  ): Promise<AbortController> {
    if (this.closed) throw new Error('informer closed');
    let controller: AbortController | undefined = undefined;
    let ended = false;
    controller = await super.watch(path, queryParams, callback, (err) => {
      ended = true;
      if (controller) this.controllers.delete(controller);
      done(err);
    });
    if (this.closed) controller.abort();
    else if (!ended) this.controllers.add(controller);
    return controller;
  }

  close(): void {
    this.closed = true;
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
  }
}

function listWatchFactory(kc: KubeConfig): InformerFactory {
  return (spec, listFn) => {
    const watch = new TrackedWatch(kc);
    // What makeInformer builds, with a Watch we can close.
    const informer = new ListWatch<KubernetesObject>(spec.path, watch, listFn, false);
    return { informer, close: () => watch.close() };
  };
}

type KindState = 'idle' | 'listing' | 'watching' | 'failed' | 'stopped';

/** One kind's informer, restarted with backoff on errors and by the watchdog. */
class KindWatcher {
  state: KindState = 'idle';
  /** The store holds a complete list of this kind from the current informer. */
  listed = false;
  /** A complete list was stored at least once. */
  everListed = false;
  private generation = 0;
  private current: ReturnType<InformerFactory> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private startedAt = 0;
  private stateSince = 0;
  lastActivity = 0;
  restarts = 0;

  constructor(
    readonly spec: KindSpec,
    private readonly factory: InformerFactory,
    private readonly store: Store,
    private readonly onChange: (reason: string) => void,
    private readonly timing: InformerTiming,
    private readonly log: Log,
    private readonly now: () => number,
  ) {}

  private setState(s: KindState): void {
    this.state = s;
    this.stateSince = this.now();
  }

  start(): void {
    this.clearTimer();
    this.closeCurrent();
    const gen = ++this.generation;
    const live = (): boolean => gen === this.generation && this.state !== 'stopped';
    const { kind, apiVersion } = this.spec;
    this.startedAt = this.now();
    this.lastActivity = this.now();
    this.setState('listing');

    const listFn = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      if (!live()) throw new Error('stale informer');
      // A relist: not synced until the new list is complete; the old objects stay until then.
      const wasListed = this.listed;
      this.listed = false;
      this.setState('listing');
      if (wasListed) this.onChange(`relist ${kind}`);
      const list = await this.spec.list();
      if (!live()) throw new Error('stale informer');
      this.store.replaceKind(
        kind,
        (list.items ?? []).map((o) => toPlainObject(o, kind, apiVersion)),
      );
      this.listed = true;
      this.everListed = true;
      this.lastActivity = this.now();
      this.setState('watching');
      this.onChange(`listed ${kind}`);
      return list;
    };

    const created = this.factory(this.spec, listFn);
    this.current = created;
    const { informer } = created;
    const upsert = (obj: KubernetesObject): void => {
      if (!live()) return;
      this.lastActivity = this.now();
      if (!obj?.metadata?.name) return;
      this.store.upsert(toPlainObject(obj, kind, apiVersion));
      this.onChange(`${kind} ${objectKey(obj as KubeObject)} changed`);
    };
    informer.on('add', upsert);
    informer.on('update', upsert);
    informer.on('delete', (obj) => {
      if (!live()) return;
      this.lastActivity = this.now();
      const key = objectKey(obj as KubeObject);
      if (this.store.remove(kind, key)) this.onChange(`${kind} ${key} deleted`);
    });
    informer.on('connect', () => {
      if (!live()) return;
      this.lastActivity = this.now();
    });
    informer.on('error', (err) => {
      if (!live()) return;
      this.failed(err);
    });
    informer.start().catch((err: unknown) => {
      if (live()) this.failed(err);
    });
  }

  /** The informer stopped (client-node informers stop on every error but 410): restart with backoff. */
  private failed(err: unknown): void {
    if (this.state === 'stopped') return;
    if (this.now() - this.startedAt > this.timing.backoffResetAfterMs) this.attempt = 0;
    const delay = backoffDelay(this.attempt++, this.timing);
    this.log.warn(`${this.spec.kind} informer stopped (${describeError(err)}); restarting in ${delay} ms`);
    this.closeCurrent();
    this.generation++; // late callbacks of the stopped informer are ignored
    this.setState('failed');
    this.clearTimer();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restarts++;
      this.start();
    }, delay);
  }

  /** Called periodically: restarts an informer that is silent, stuck listing, or stopped too long. */
  watchdog(): void {
    const now = this.now();
    if (this.state === 'stopped' || this.state === 'idle') return;
    let why: string | undefined;
    if (this.state === 'failed' && !this.restartTimer) why = 'stopped with no restart pending';
    else if (this.state === 'failed' && now - this.stateSince > this.timing.stuckMs) why = 'stopped too long';
    else if (this.state === 'listing' && now - this.stateSince > this.timing.stuckMs) why = 'list did not finish';
    else if (this.state === 'watching' && now - this.lastActivity > this.timing.silenceMs) why = 'silent too long';
    if (!why) return;
    this.log.warn(`${this.spec.kind} informer ${why}; restarting`);
    this.restarts++;
    this.start();
  }

  stop(): void {
    this.setState('stopped');
    this.generation++;
    this.clearTimer();
    this.closeCurrent();
  }

  private closeCurrent(): void {
    const c = this.current;
    this.current = undefined;
    if (!c) return;
    void c.informer.stop().catch(() => undefined);
    c.close();
  }

  private clearTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }
}

interface KubernetesSourceDeps {
  specs: KindSpec[];
  factory: InformerFactory;
  timing?: Partial<InformerTiming>;
  log?: Log;
  now?: () => number;
}

/** The source over explicit list/watch dependencies (the real API, or fakes in unit tests). */
export class KubernetesSource implements Source {
  private readonly watchers: KindWatcher[] = [];
  private watchdogTimer: NodeJS.Timeout | undefined;
  private readonly timing: InformerTiming;

  constructor(private readonly deps: KubernetesSourceDeps) {
    this.timing = { ...DEFAULT_INFORMER_TIMING, ...deps.timing };
  }

  get synced(): boolean {
    return this.watchers.length > 0 && this.watchers.every((w) => w.listed);
  }

  /** Per kind: state, whether its list is complete, restarts so far (for logs and tests). */
  status(): Array<{ kind: ResourceKind; state: string; listed: boolean; restarts: number }> {
    return this.watchers.map((w) => ({ kind: w.spec.kind, state: w.state, listed: w.listed, restarts: w.restarts }));
  }

  async start(store: Store, onChange: (reason: string) => void): Promise<void> {
    const log = this.deps.log ?? silentLog;
    const now = this.deps.now ?? Date.now;
    for (const spec of this.deps.specs) {
      this.watchers.push(new KindWatcher(spec, this.deps.factory, store, onChange, this.timing, log, now));
    }
    for (const w of this.watchers) w.start();
    this.watchdogTimer = setInterval(() => {
      for (const w of this.watchers) w.watchdog();
    }, this.timing.watchdogIntervalMs);
    this.watchdogTimer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
    for (const w of this.watchers) w.stop();
  }
}

/** Informers for Ingress, IngressClass, Service, EndpointSlice, Secret and ConfigMap. */
export function createKubernetesSource(options: KubernetesSourceOptions): Source {
  const kc = loadKubeConfig(options.kubeconfig);
  const specs = kindSpecs(kc, options.watchNamespace);
  // Every kind is watched: RESOURCE_KINDS and the specs must agree.
  if (specs.length !== RESOURCE_KINDS.length) throw new Error('internal: a resource kind has no informer');
  return new KubernetesSource({
    specs,
    factory: listWatchFactory(kc),
    timing: options.timing,
    log: options.log,
  });
}

/** A list of one kind failed (unreachable API server, no permission): names the kind and the reason. */
export class ListError extends Error {}

function listFailure(kind: string, err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  let detail = e.message ?? String(err);
  if (typeof e.code === 'number') {
    let status = '';
    try {
      status = (typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : (e.body as { message?: string }))?.message ?? '';
    } catch {
      // not a Status object
    }
    detail = `HTTP ${e.code}${status ? `: ${status}` : ''}`;
  }
  return `listing ${kind}${kind.endsWith('s') ? 'es' : 's'}: ${detail}`;
}

/**
 * One list of every kind the model reads, cluster-wide, and no watch: what `portico audit` reads. It only
 * lists (the RBAC it needs is `list` on these kinds); the objects have the shape manifests give.
 */
export async function listClusterObjects(kubeconfig: string | undefined): Promise<KubeObject[]> {
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig(kubeconfig);
  } catch (err) {
    throw new ListError(`${kubeconfig ? `kubeconfig ${kubeconfig}` : 'in-cluster configuration'}: ${(err as Error).message}`);
  }
  const lists = await Promise.all(
    kindSpecs(kc, undefined).map(async (spec) => {
      try {
        const list = await spec.list();
        return (list.items ?? []).map((o) => toPlainObject(o, spec.kind, spec.apiVersion));
      } catch (err) {
        throw new ListError(listFailure(spec.kind, err));
      }
    }),
  );
  return lists.flat();
}
