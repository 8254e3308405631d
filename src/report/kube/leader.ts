// Leader election on a coordination.k8s.io/v1 Lease. Every replica serves traffic; only the leader
// writes Ingress status (and Events). client-node 1.4 has no helper for this, so this file holds the
// whole protocol: acquire a Lease that is absent, released or expired; renew it periodically; write it
// only with the resourceVersion last read (the API server refuses a stale write with 409, so two
// replicas never both win); give leadership up when renewal fails for longer than the renew deadline.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { statusOf } from '../../kube/client.js';
import type { Log } from '../../log.js';

/** The fields of a Lease that election reads and writes. */
export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  /** metadata.resourceVersion of the object read; required to replace it. */
  resourceVersion?: string;
}

/** A write lost the race (409) or the Lease was created by another replica first. */
export class LeaseConflictError extends Error {
  constructor(message = 'the Lease changed since it was read') {
    super(message);
    this.name = 'LeaseConflictError';
  }
}

/** The three calls election needs; `get` resolves undefined for a Lease that does not exist. */
export interface LeaseClient {
  get(): Promise<LeaseRecord | undefined>;
  create(record: LeaseRecord): Promise<LeaseRecord>;
  /** Replaces the Lease; `record.resourceVersion` must be the one read (optimistic concurrency). */
  replace(record: LeaseRecord): Promise<LeaseRecord>;
}

export interface ElectionTiming {
  /** How long a Lease stays valid after its last observed change. */
  leaseDurationMs: number;
  /** The leader gives up if it could not renew for this long (less than leaseDurationMs). */
  renewDeadlineMs: number;
  /** How often the leader renews and a follower retries. */
  retryPeriodMs: number;
}

const DEFAULT_ELECTION_TIMING: ElectionTiming = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** What a replica knows about the Lease from its own observations (never from another node's clock). */
interface Observation {
  record: LeaseRecord;
  /** Local time at which this replica first saw this version of the record. */
  observedAt: number;
}

type Decision = 'create' | 'acquire' | 'renew' | 'wait';

/**
 * The pure decision. Expiry is judged against the local time at which the record was last seen to
 * change, not against renewTime written by another node's clock (clock skew cannot hand the Lease
 * to two replicas). A Lease with no holder (released) is free at once.
 */
export function decide(identity: string, current: Observation | undefined, now: number, timing: ElectionTiming): Decision {
  if (!current) return 'create';
  const holder = current.record.holderIdentity ?? '';
  if (holder === identity) return 'renew';
  if (holder === '') return 'acquire';
  const durationMs = (current.record.leaseDurationSeconds ?? timing.leaseDurationMs / 1000) * 1000;
  return now - current.observedAt >= durationMs ? 'acquire' : 'wait';
}

/** The record this replica writes to take or keep the Lease. */
export function nextRecord(identity: string, current: LeaseRecord | undefined, decision: Decision, now: Date, timing: ElectionTiming): LeaseRecord {
  const iso = now.toISOString();
  const seconds = Math.max(1, Math.ceil(timing.leaseDurationMs / 1000));
  if (decision === 'renew' && current) {
    return { ...current, renewTime: iso, leaseDurationSeconds: seconds };
  }
  return {
    holderIdentity: identity,
    leaseDurationSeconds: seconds,
    acquireTime: iso,
    renewTime: iso,
    leaseTransitions: (current?.leaseTransitions ?? 0) + (current && (current.holderIdentity ?? '') !== identity ? 1 : 0),
    resourceVersion: current?.resourceVersion,
  };
}

interface LeaderElectorOptions {
  identity: string;
  client: LeaseClient;
  timing?: Partial<ElectionTiming>;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  log?: Log;
  now?: () => number;
}

export class LeaderElector {
  private readonly timing: ElectionTiming;
  private observed: Observation | undefined;
  private leading = false;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.timing = { ...DEFAULT_ELECTION_TIMING, ...opts.timing };
    if (this.timing.renewDeadlineMs >= this.timing.leaseDurationMs) {
      throw new Error('leader election: the renew deadline must be shorter than the lease duration');
    }
    this.now = opts.now ?? Date.now;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.tick().finally(() => {
        this.inFlight = undefined;
        this.schedule(this.timing.retryPeriodMs);
      });
    }, ms);
  }

  /** A call that hangs (a black-holed API server) must not keep a leader believing it still leads. */
  private bounded<T>(p: Promise<T>): Promise<T> {
    const ms = Math.max(1, Math.floor(this.timing.renewDeadlineMs / 2));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the API server within ${ms} ms`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  /** One round: read, decide, write. Exposed for tests. */
  async tick(): Promise<void> {
    try {
      const record = await this.bounded(this.opts.client.get());
      this.observe(record);
      const decision = decide(this.opts.identity, this.observed, this.now(), this.timing);
      if (decision === 'wait') {
        // Someone else holds a valid Lease: if we thought we led, we no longer do.
        if (this.leading) this.setLeading(false, `the Lease is held by ${record?.holderIdentity}`);
        return;
      }
      const next = nextRecord(this.opts.identity, record, decision, new Date(this.now()), this.timing);
      const written = await this.bounded(decision === 'create' ? this.opts.client.create(next) : this.opts.client.replace(next));
      this.observe(written);
      this.lastRenew = this.now();
      if (!this.leading) this.setLeading(true, decision === 'renew' ? 'renewed' : `${decision}d the Lease`);
    } catch (err) {
      const conflict = err instanceof LeaseConflictError;
      if (this.leading) {
        if (conflict) {
          // Another replica wrote the Lease: it won; never keep leading on a lost write.
          this.setLeading(false, 'the Lease was taken over');
        } else if (this.now() - this.lastRenew > this.timing.renewDeadlineMs) {
          this.setLeading(false, `could not renew the Lease for ${this.timing.renewDeadlineMs} ms (${(err as Error).message})`);
        } else {
          this.opts.log?.warn(`renewing the Lease failed, retrying: ${(err as Error).message}`);
        }
      } else if (!conflict) {
        this.opts.log?.warn(`reading or taking the Lease failed: ${(err as Error).message}`);
      }
    }
  }

  private observe(record: LeaseRecord | undefined): void {
    if (!record) {
      this.observed = undefined;
      return;
    }
    const prev = this.observed?.record;
    const same =
      prev &&
      prev.resourceVersion === record.resourceVersion &&
      prev.holderIdentity === record.holderIdentity &&
      prev.renewTime === record.renewTime;
    if (!same) this.observed = { record, observedAt: this.now() };
    else this.observed = { record, observedAt: this.observed!.observedAt };
  }

  private setLeading(leading: boolean, why: string): void {
    this.leading = leading;
    this.opts.log?.info(leading ? `started leading (${why})` : `stopped leading (${why})`);
    try {
      if (leading) this.opts.onStartedLeading?.();
      else this.opts.onStoppedLeading?.();
    } catch (err) {
      this.opts.log?.warn(`leadership callback failed: ${(err as Error).message}`);
    }
  }

  /** Stops the loop; a leader releases the Lease (empty holder) so another replica takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight?.catch(() => undefined);
    if (!this.leading) return;
    this.setLeading(false, 'shutting down');
    const current = this.observed?.record;
    if (!current || current.holderIdentity !== this.opts.identity) return;
    try {
      await this.bounded(this.opts.client.replace({
        ...current,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: new Date(this.now()).toISOString(),
      }));
    } catch (err) {
      this.opts.log?.warn(`releasing the Lease failed: ${(err as Error).message}`);
    }
  }
}

function toRecord(lease: V1Lease): LeaseRecord {
  const t = (d: Date | undefined): string | undefined => (d ? new Date(d).toISOString() : undefined);
  return {
    holderIdentity: lease.spec?.holderIdentity ?? undefined,
    leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? undefined,
    acquireTime: t(lease.spec?.acquireTime),
    renewTime: t(lease.spec?.renewTime),
    leaseTransitions: lease.spec?.leaseTransitions ?? undefined,
    resourceVersion: lease.metadata?.resourceVersion,
  };
}

function toLease(name: string, namespace: string, r: LeaseRecord): V1Lease {
  const micro = (s: string | undefined): V1MicroTime | undefined => (s ? new V1MicroTime(s) : undefined);
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, resourceVersion: r.resourceVersion },
    spec: {
      holderIdentity: r.holderIdentity,
      leaseDurationSeconds: r.leaseDurationSeconds,
      acquireTime: micro(r.acquireTime),
      renewTime: micro(r.renewTime),
      leaseTransitions: r.leaseTransitions,
    },
  };
}

/** The Lease NAMESPACE/NAME through the API (needs get, create and update on it). */
export function kubeLeaseClient(kc: KubeConfig, namespace: string, name: string): LeaseClient {
  const api = kc.makeApiClient(CoordinationV1Api);
  return {
    async get() {
      try {
        return toRecord(await api.readNamespacedLease({ name, namespace }));
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    async create(record) {
      try {
        return toRecord(await api.createNamespacedLease({ namespace, body: toLease(name, namespace, { ...record, resourceVersion: undefined }) }));
      } catch (err) {
        if (statusOf(err) === 409) throw new LeaseConflictError('the Lease was created by another replica');
        throw err;
      }
    },
    async replace(record) {
      if (!record.resourceVersion) throw new LeaseConflictError('no resourceVersion to replace');
      try {
        return toRecord(await api.replaceNamespacedLease({ name, namespace, body: toLease(name, namespace, record) }));
      } catch (err) {
        if (statusOf(err) === 409) throw new LeaseConflictError();
        throw err;
      }
    },
  };
}
