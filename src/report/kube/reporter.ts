// Ingress status and Events. Only the leader (a Lease, leader.ts) writes to the API:
// every replica renders the same model from the same objects, so one writer is enough and N replicas
// never write N copies of the same Event or fight over status. Followers still keep the Event memory
// up to date, so a replica that takes over does not repeat what the old leader already reported.
import { API_TIMEOUT_MS, loadKubeConfig, withTimeout } from '../../kube/client.js';
import { refString } from '../../model/types.js';
import type { SyncReport } from '../../reconcile/ports.js';
import { prefixedLog, type Log } from '../../log.js';
import type { Reporter } from '../observer.js';
import { kubeReporterApi, type ReporterApi } from './api.js';
import { buildEvent, EventMemory, type PlannedEvent } from './events.js';
import { LeaderElector, kubeLeaseClient, type ElectionTiming, type LeaseClient } from './leader.js';
import { addressesFromList, addressesFromService, addressKey, planStatus, servedIngresses, type LoadBalancerIngress } from './status.js';

interface KubeReporterOptions {
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
  log: Log;
}

/** Leadership as the reporter sees it (LeaderElector, or a fake in tests). */
interface Leadership {
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
  private readonly log: Log;
  elector: Leadership | undefined;

  constructor(
    private readonly options: KubeReporterOptions,
    private readonly api: ReporterApi,
  ) {
    this.log = options.log;
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
          this.log.warn(`status/events not written: ${(err as Error).message}`);
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
        this.log.warn(`Event ${e.reason} for ${e.configMap ? 'ConfigMap' : 'Ingress'} ${refString(e.ingress)} not written: ${(err as Error).message}`);
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
        this.log.warn(`status of Ingress ${change.namespace}/${change.name} not written: ${(err as Error).message}`);
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
      this.log.warn(`--publish-service ${this.options.publishService}: ${svc ? 'the Service has no address yet' : 'no such Service'}; Ingress status unchanged`);
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
  const kc = deps.api && deps.leaseClient ? undefined : loadKubeConfig(options.kubeconfig);
  const api = deps.api ?? kubeReporterApi(kc!, options.watchNamespace);
  const reporter = new KubeReporter(options, api);
  const elector = new LeaderElector({
    identity: options.identity,
    client: deps.leaseClient ?? kubeLeaseClient(kc!, options.electionNamespace, options.electionId),
    timing: options.electionTiming,
    log: prefixedLog(options.log, `leader election (${options.electionNamespace}/${options.electionId}, ${options.identity}): `),
    onStartedLeading: () => reporter.kick(),
  });
  reporter.elector = elector;
  elector.start();
  return reporter;
}
