// Ingress status and Events. Only the leader (a Lease, src/controller/leader.ts) writes to the API:
// every replica renders the same model from the same objects, so one writer is enough and N replicas
// never write N copies of the same Event or fight over status. Followers still keep the Event memory
// up to date, so a replica that takes over does not repeat what the old leader already reported.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import {
  CoreV1Api,
  EventsV1Api,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type KubeConfig,
  type EventsV1Event,
} from '@kubernetes/client-node';
import { LeaderElector, kubeLeaseClient, type ElectionTiming, type LeaseClient } from '../controller/leader.js';
import { refString, type IngressRef, type NginxModel, type Rejection } from '../model/types.js';
import { loadKubeConfig } from '../sources/kubernetes.js';
import type { Ingress, Service } from '../store/types.js';
import { oneLine } from './messages.js';
import type { Reporter, SyncReport } from './types.js';

export interface KubeReporterOptions {
  kubeconfig?: string;
  /** NAMESPACE/NAME of the Service whose address is published in Ingress status. */
  publishService?: string;
  /** Addresses published in Ingress status instead of a Service's. */
  publishStatusAddress?: string[];
  /** Name of the coordination.k8s.io Lease for leader election. */
  electionId: string;
  /** Namespace of the Lease (the controller's own, POD_NAMESPACE). */
  electionNamespace: string;
  /** This replica's identity (POD_NAME or hostname). */
  identity: string;
  controllerClass: string;
  /** Only Ingresses of this namespace are listed for status (undefined: all). */
  watchNamespace?: string;
  /** Lease timing (defaults: 15 s lease, 10 s renew deadline, 2 s retry). */
  electionTiming?: Partial<ElectionTiming>;
  /** How often the leader re-applies status from the last report (drift, a changed published Service). */
  resyncMs?: number;
  log?: (level: 'info' | 'warn', message: string) => void;
}

/** `reportingController` of our Events. */
export const REPORTING_CONTROLLER = 'portico.dev/ingress-controller';

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

/** A Service's published address: its LoadBalancer ingress, else its externalIPs, else its clusterIP. */
export function addressesFromService(svc: Service | undefined): LoadBalancerIngress[] {
  if (!svc) return [];
  const lb = (svc.status?.loadBalancer?.ingress ?? [])
    .map((i): LoadBalancerIngress | undefined => (i.ip ? { ip: i.ip } : i.hostname ? { hostname: i.hostname } : undefined))
    .filter((x): x is LoadBalancerIngress => !!x);
  if (lb.length > 0) return lb;
  const external = (svc.spec?.externalIPs ?? []).filter(Boolean);
  if (external.length > 0) return addressesFromList(external);
  const clusterIP = svc.spec?.clusterIP;
  if (clusterIP && clusterIP !== 'None') return [{ ip: clusterIP }];
  return [];
}

/** --publish-status-address values: IPs as `ip`, anything else as `hostname`. */
export function addressesFromList(list: string[]): LoadBalancerIngress[] {
  return list.map((a) => a.trim()).filter(Boolean).map((a) => (isIP(a) ? { ip: a } : { hostname: a }));
}

function addressKey(a: LoadBalancerIngress): string {
  return a.ip ? `ip:${a.ip}` : `hostname:${a.hostname ?? ''}`;
}

/** Order-insensitive comparison of two status lists. */
export function sameAddresses(a: LoadBalancerIngress[], b: LoadBalancerIngress[]): boolean {
  const ka = [...new Set(a.map(addressKey))].sort();
  const kb = [...new Set(b.map(addressKey))].sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

function currentAddresses(ing: Ingress): LoadBalancerIngress[] {
  return (ing.status?.loadBalancer?.ingress ?? []).map((i) => (i.ip ? { ip: i.ip } : { hostname: i.hostname }));
}

export interface StatusChange {
  namespace: string;
  name: string;
  /** The new status.loadBalancer.ingress (empty: cleared). */
  addresses: LoadBalancerIngress[];
}

/**
 * Which Ingresses need a status write: every served Ingress gets `published` when it differs; every
 * other Ingress that still carries one of `ours` (addresses this controller published) loses them.
 */
export function planStatus(
  ingresses: Ingress[],
  served: ReadonlySet<string>,
  published: LoadBalancerIngress[],
  ours: ReadonlySet<string>,
): StatusChange[] {
  const changes: StatusChange[] = [];
  for (const ing of ingresses) {
    const namespace = ing.metadata?.namespace ?? '';
    const name = ing.metadata?.name ?? '';
    const current = currentAddresses(ing);
    if (served.has(`${namespace}/${name}`)) {
      if (published.length > 0 && !sameAddresses(current, published)) changes.push({ namespace, name, addresses: published });
    } else if (current.some((a) => ours.has(addressKey(a)))) {
      changes.push({ namespace, name, addresses: current.filter((a) => !ours.has(addressKey(a))) });
    }
  }
  return changes;
}

/** The Ingresses whose config is in force after a report: accepted, and not left out by nginx -t. */
export function servedIngresses(report: SyncReport): Set<string> {
  const excluded = new Set(report.excluded.map((r) => refString(r.ingress)));
  return new Set(report.model.accepted.map(refString).filter((k) => !excluded.has(k)));
}

/** A digest of what the config holds for one Ingress: it changes when its routing changes. */
export function ingressFingerprints(model: NginxModel): Map<string, string> {
  const parts = new Map<string, string[]>();
  const add = (ref: IngressRef, text: string): void => {
    const k = refString(ref);
    const list = parts.get(k) ?? [];
    list.push(text);
    parts.set(k, list);
  };
  const json = (v: unknown): string => {
    try {
      return JSON.stringify(v) ?? '';
    } catch {
      return '';
    }
  };
  for (const server of model.servers) {
    for (const ref of server.ingresses) add(ref, json(['server', server.host, server.tls?.source ?? '', server.redirectToHttps]));
    for (const loc of server.locations) add(loc.ingress, json(['location', server.host, loc]));
  }
  for (const u of model.upstreams) {
    // Endpoint changes of a Service are applied too: they belong to every Ingress that routes to it.
    const key = json(['upstream', u]);
    for (const server of model.servers) {
      for (const loc of server.locations) {
        if (loc.backend.kind === 'upstream' && loc.backend.upstream === u.name) add(loc.ingress, key);
      }
    }
  }
  const out = new Map<string, string>();
  for (const [k, list] of parts) out.set(k, createHash('sha256').update(list.sort().join('\n')).digest('hex'));
  return out;
}

export interface PlannedEvent {
  /** The Ingress the Event is about; for a ConfigMap Event (`configMap` set), the ConfigMap's namespace and name. */
  ingress: IngressRef;
  /** Set when the Event is about the controller's ConfigMap (a key ignored), not an Ingress. */
  configMap?: true;
  type: 'Normal' | 'Warning';
  reason: 'Sync' | 'Rejected' | 'Warning';
  action: string;
  note: string;
  /** Undoes the memory entry when the Event could not be written, so that it is tried again. */
  forget: () => void;
}

function rejectionText(r: Rejection): string {
  return oneLine(`${r.field}: ${r.reason}`);
}

/**
 * What was already reported, so that an unchanged Ingress costs no Event: Sync when an Ingress's
 * config in force changed (or appeared), Rejected once per distinct reason while it lasts.
 */
export class EventMemory {
  private readonly synced = new Map<string, string>();
  private readonly rejected = new Map<string, Set<string>>();
  private readonly warned = new Map<string, Set<string>>();
  private readonly configMapWarned = new Map<string, Set<string>>();

  plan(report: SyncReport): PlannedEvent[] {
    const events: PlannedEvent[] = [];
    const refs = new Map<string, IngressRef>();
    for (const r of [...report.model.owned, ...report.model.accepted]) refs.set(refString(r), r);

    // Warning Rejected: one per distinct reason, as long as it lasts.
    const reasons = new Map<string, Map<string, Rejection>>();
    for (const r of [...report.model.rejections, ...report.excluded]) {
      const k = refString(r.ingress);
      refs.set(k, r.ingress);
      const m = reasons.get(k) ?? new Map<string, Rejection>();
      m.set(rejectionText(r), r);
      reasons.set(k, m);
    }
    const excludedKeys = new Set(report.excluded.map((r) => refString(r.ingress)));
    for (const [k, m] of reasons) {
      const seen = this.rejected.get(k) ?? new Set<string>();
      for (const [text, r] of m) {
        if (seen.has(text)) continue;
        seen.add(text);
        const what = excludedKeys.has(k) && report.excluded.includes(r) ? 'left out: nginx -t failed with it' : r.whole ? 'not routed' : 'partly routed';
        events.push({
          ingress: r.ingress,
          type: 'Warning',
          reason: 'Rejected',
          action: 'Validate',
          note: `${what}: ${text}`,
          forget: () => this.rejected.get(k)?.delete(text),
        });
      }
      for (const text of [...seen]) if (!m.has(text)) seen.delete(text); // resolved: report again if it recurs
      this.rejected.set(k, seen);
    }
    for (const k of [...this.rejected.keys()]) if (!reasons.has(k)) this.rejected.delete(k);

    // Warning Warning: what was ignored or fell back (an unsupported annotation, a missing TLS Secret), once
    // per distinct message while it lasts, so a migrating operator sees what does not carry over.
    const warnings = new Map<string, Map<string, IngressRef>>();
    for (const w of report.model.warnings) {
      if (!w.ingress) continue;
      const k = refString(w.ingress);
      refs.set(k, w.ingress);
      const m = warnings.get(k) ?? new Map<string, IngressRef>();
      m.set(oneLine(w.message), w.ingress);
      warnings.set(k, m);
    }
    for (const [k, m] of warnings) {
      const seen = this.warned.get(k) ?? new Set<string>();
      for (const [text, ingress] of m) {
        if (seen.has(text)) continue;
        seen.add(text);
        events.push({ ingress, type: 'Warning', reason: 'Warning', action: 'Validate', note: text, forget: () => this.warned.get(k)?.delete(text) });
      }
      for (const text of [...seen]) if (!m.has(text)) seen.delete(text);
      this.warned.set(k, seen);
    }
    for (const k of [...this.warned.keys()]) if (!warnings.has(k)) this.warned.delete(k);

    // Warning Warning on the ConfigMap: a key ignored (invalid, or refused by nginx -t), once per distinct
    // message while it lasts.
    const configMapNotes = new Map<string, { ref: IngressRef; notes: Set<string> }>();
    for (const w of report.model.warnings) {
      const m = w.ingress ? null : /^ConfigMap ([a-z0-9][-a-z0-9]*)\/([a-z0-9][-a-z0-9.]*)$/.exec(w.object);
      if (!m) continue;
      const k = `${m[1]}/${m[2]}`;
      const entry = configMapNotes.get(k) ?? { ref: { namespace: m[1]!, name: m[2]! }, notes: new Set<string>() };
      entry.notes.add(oneLine(w.message));
      configMapNotes.set(k, entry);
    }
    for (const [k, { ref, notes }] of configMapNotes) {
      const seen = this.configMapWarned.get(k) ?? new Set<string>();
      for (const text of notes) {
        if (seen.has(text)) continue;
        seen.add(text);
        events.push({ ingress: ref, configMap: true, type: 'Warning', reason: 'Warning', action: 'Validate', note: text, forget: () => this.configMapWarned.get(k)?.delete(text) });
      }
      for (const text of [...seen]) if (!notes.has(text)) seen.delete(text);
      this.configMapWarned.set(k, seen);
    }
    for (const k of [...this.configMapWarned.keys()]) if (!configMapNotes.has(k)) this.configMapWarned.delete(k);

    // Normal Sync: the config in force holds a new version of this Ingress.
    if (!report.error) {
      const served = servedIngresses(report);
      const prints = ingressFingerprints(report.model);
      for (const k of served) {
        const print = prints.get(k) ?? '';
        if (this.synced.get(k) === print) continue;
        const previous = this.synced.get(k);
        this.synced.set(k, print);
        const ref = refs.get(k)!;
        events.push({
          ingress: ref,
          type: 'Normal',
          reason: 'Sync',
          action: 'Apply',
          note: `configuration applied to nginx${report.configHash ? ` (config sha256 ${report.configHash.slice(0, 12)})` : ''}`,
          forget: () => {
            if (previous === undefined) this.synced.delete(k);
            else this.synced.set(k, previous);
          },
        });
      }
      for (const k of [...this.synced.keys()]) if (!served.has(k)) this.synced.delete(k);
    }
    return events;
  }
}

/** The API calls of the reporter (the real API, or fakes in unit tests). */
export interface ReporterApi {
  listIngresses(): Promise<Ingress[]>;
  readService(namespace: string, name: string): Promise<Service | undefined>;
  patchIngressStatus(namespace: string, name: string, addresses: LoadBalancerIngress[]): Promise<void>;
  createEvent(event: EventsV1Event): Promise<void>;
}

/** An API call that hangs must not stall the reporter for good: it fails after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const API_TIMEOUT_MS = 30_000;

function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

export function kubeReporterApi(kc: KubeConfig, watchNamespace?: string): ReporterApi {
  const net = kc.makeApiClient(NetworkingV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const events = kc.makeApiClient(EventsV1Api);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return {
    async listIngresses() {
      const list = watchNamespace ? await net.listNamespacedIngress({ namespace: watchNamespace }) : await net.listIngressForAllNamespaces();
      return JSON.parse(JSON.stringify(list.items ?? [])) as Ingress[];
    },
    async readService(namespace, name) {
      try {
        return JSON.parse(JSON.stringify(await core.readNamespacedService({ name, namespace }))) as Service;
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    async patchIngressStatus(namespace, name, addresses) {
      // A merge patch replaces the list as a whole; null removes it.
      const body = { status: { loadBalancer: { ingress: addresses.length > 0 ? addresses : null } } };
      await net.patchNamespacedIngressStatus({ name, namespace, body }, mergePatch);
    },
    async createEvent(event) {
      await events.createNamespacedEvent({ namespace: event.metadata?.namespace ?? 'default', body: event });
    },
  };
}

/** An events.k8s.io/v1 Event about an Ingress. */
export function buildEvent(e: PlannedEvent, uid: string | undefined, identity: string, now: Date): EventsV1Event {
  const suffix = `${now.getTime().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0')}`;
  const base = e.ingress.name.slice(0, 253 - suffix.length - 1);
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `${base}.${suffix}`, namespace: e.ingress.namespace },
    eventTime: new V1MicroTime(now.getTime()),
    type: e.type,
    reason: e.reason,
    action: e.action,
    note: e.note.length > 1000 ? `${e.note.slice(0, 997)}...` : e.note,
    regarding: e.configMap
      ? { apiVersion: 'v1', kind: 'ConfigMap', namespace: e.ingress.namespace, name: e.ingress.name }
      : { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: e.ingress.namespace, name: e.ingress.name, uid },
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: identity.slice(0, 128),
  };
}

/** Leadership as the reporter sees it (LeaderElector, or a fake in tests). */
export interface Leadership {
  readonly isLeader: boolean;
  stop(): Promise<void>;
}

export class KubeReporter implements Reporter {
  private latest: SyncReport | undefined;
  private dirty = false;
  private working: Promise<void> | undefined;
  private stopped = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly memory = new EventMemory();
  /** Every address this replica published, to recognise ours on Ingresses we no longer serve. */
  private readonly ours = new Set<string>();
  private readonly log: (level: 'info' | 'warn', message: string) => void;
  elector: Leadership | undefined;

  constructor(
    private readonly options: KubeReporterOptions,
    private readonly api: ReporterApi,
  ) {
    this.log = options.log ?? (() => undefined);
    for (const a of addressesFromList(options.publishStatusAddress ?? [])) this.ours.add(addressKey(a));
    const resync = options.resyncMs ?? 60_000;
    if (resync > 0) {
      this.resyncTimer = setInterval(() => this.kick(), resync);
      this.resyncTimer.unref?.();
    }
  }

  get isLeader(): boolean {
    return this.elector?.isLeader ?? true;
  }

  async onSync(report: SyncReport): Promise<void> {
    // The sync loop waits for reporters: the API work runs in the background, the newest report wins.
    this.latest = report;
    this.kick(true);
  }

  /** Process the latest report again (new leader, periodic resync). */
  kick(newReport = false): void {
    if (this.stopped || !this.latest) return;
    this.dirty = true;
    if (newReport) this.pendingEvents = true;
    if (this.working) return;
    this.working = (async () => {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        const events = this.pendingEvents;
        this.pendingEvents = false;
        try {
          await this.process(this.latest!, events);
        } catch (err) {
          this.log('warn', `status/events not written: ${(err as Error).message}`);
        }
      }
    })().finally(() => {
      this.working = undefined;
    });
  }

  private pendingEvents = false;
  private unsent: PlannedEvent[] = [];

  /** Waits for the background work (tests). */
  async idle(): Promise<void> {
    while (this.working) await this.working;
  }

  private async process(report: SyncReport, newReport: boolean): Promise<void> {
    // Every replica keeps the Event memory; only the leader writes.
    if (newReport) this.unsent.push(...this.memory.plan(report));
    if (!this.isLeader) {
      this.unsent = [];
      return;
    }
    const ingresses = await withTimeout(this.api.listIngresses(), API_TIMEOUT_MS, 'listing Ingresses');
    const uids = new Map(ingresses.map((i) => [`${i.metadata?.namespace}/${i.metadata?.name}`, i.metadata?.uid]));

    const events = this.unsent;
    this.unsent = [];
    for (const e of events) {
      try {
        const uid = e.configMap ? undefined : uids.get(refString(e.ingress));
        await withTimeout(this.api.createEvent(buildEvent(e, uid, this.options.identity, new Date())), API_TIMEOUT_MS, 'creating an Event');
      } catch (err) {
        e.forget();
        this.log('warn', `Event ${e.reason} for ${e.configMap ? 'ConfigMap' : 'Ingress'} ${refString(e.ingress)} not written: ${(err as Error).message}`);
      }
    }

    if (report.error) return; // the config in force did not change: neither does status
    const published = await this.publishedAddresses();
    if (!published) return;
    for (const a of published) this.ours.add(addressKey(a));
    for (const change of planStatus(ingresses, servedIngresses(report), published, this.ours)) {
      try {
        await withTimeout(this.api.patchIngressStatus(change.namespace, change.name, change.addresses), API_TIMEOUT_MS, 'patching status');
      } catch (err) {
        this.log('warn', `status of Ingress ${change.namespace}/${change.name} not written: ${(err as Error).message}`);
      }
    }
  }

  /** undefined: nothing to publish (no flag, or the Service is missing): status is left alone. */
  private async publishedAddresses(): Promise<LoadBalancerIngress[] | undefined> {
    if (this.options.publishStatusAddress && this.options.publishStatusAddress.length > 0) {
      return addressesFromList(this.options.publishStatusAddress);
    }
    if (!this.options.publishService) return undefined;
    const [namespace, name] = this.options.publishService.split('/') as [string, string];
    const svc = await withTimeout(this.api.readService(namespace, name), API_TIMEOUT_MS, `reading Service ${namespace}/${name}`);
    const addresses = addressesFromService(svc);
    if (addresses.length === 0) {
      this.log('warn', `--publish-service ${this.options.publishService}: ${svc ? 'the Service has no address yet' : 'no such Service'}; Ingress status unchanged`);
      return undefined;
    }
    return addresses;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await this.working?.catch(() => undefined);
    await this.elector?.stop();
  }
}

/**
 * Writes Ingress status (leader only, after winning the Lease) and Events (Normal Sync, Warning Rejected).
 */
export function createKubeReporter(options: KubeReporterOptions, deps: { api?: ReporterApi; leaseClient?: LeaseClient } = {}): Reporter {
  const log =
    options.log ?? ((level, message) => process.stderr.write(`${JSON.stringify({ level, message, component: 'kubernetes-reporter' })}\n`));
  const kc = deps.api && deps.leaseClient ? undefined : loadKubeConfig(options.kubeconfig);
  const api = deps.api ?? kubeReporterApi(kc!, options.watchNamespace);
  const reporter = new KubeReporter({ ...options, log }, api);
  const elector = new LeaderElector({
    identity: options.identity,
    client: deps.leaseClient ?? kubeLeaseClient(kc!, options.electionNamespace, options.electionId),
    timing: options.electionTiming,
    log: (level, message) => log(level, `leader election (${options.electionNamespace}/${options.electionId}, ${options.identity}): ${message}`),
    onStartedLeading: () => reporter.kick(),
  });
  reporter.elector = elector;
  elector.start();
  return reporter;
}
