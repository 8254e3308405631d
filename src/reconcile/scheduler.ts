import type { Log } from '../log.js';
import type { Clock } from './ports.js';

interface SchedulerOptions {
  clock: Clock;
  log: Log;
  /** Quiet time after the last event before a sync. */
  debounceMs: number;
  /** Minimum time between two reloads. */
  minReloadIntervalMs: number;
  /** False while the store is incomplete (a relist): nothing syncs, and the source triggers again once it is complete. */
  ready: () => boolean;
  /** One sync. */
  sync: () => Promise<void>;
}

/**
 * When to sync: events are coalesced (leading-edge debounce + minimum interval between reloads),
 * nothing syncs while the source is not ready, one job (a sync or a delayed job) runs at a time, and
 * a sync that failed on something that can pass by itself is retried with backoff.
 */
export class SyncScheduler {
  private timer: unknown;
  /** A sync that failed to write to the state dir (read-only, full) is retried with backoff, without waiting for an event. */
  private retryTimer: unknown;
  private retryDelayMs = 0;
  private laterTimer: unknown;
  private firstPendingAt: number | undefined;
  private lastEventAt: number | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private busySince: number | undefined;
  /** When the sync in progress last completed a step (a render, an nginx -t, the apply): what /healthz watches. */
  private lastProgressAt: number | undefined;
  private stopped = false;
  private lastReloadAt = 0;

  constructor(private readonly opts: SchedulerOptions) {}

  /** How long the sync in progress has been running (0 when idle). */
  get busyForMs(): number {
    return this.busySince === undefined ? 0 : this.opts.clock.now() - this.busySince;
  }

  /**
   * How long the sync in progress has gone without completing a step (0 when idle): a wedged loop makes
   * /healthz fail, a long one that keeps making progress (a first bisection at 10,000 Ingresses is 20+
   * nginx -t of ~8 s each) does not.
   */
  get stalledForMs(): number {
    return this.busySince === undefined ? 0 : this.opts.clock.now() - (this.lastProgressAt ?? this.busySince);
  }

  /** The sync in progress completed a step. */
  progress(): void {
    this.lastProgressAt = this.opts.clock.now();
  }

  /** nginx reloaded: the next reload waits out the minimum interval from now. */
  reloaded(): void {
    this.lastReloadAt = this.opts.clock.now();
  }

  /** An event happened: sync soon (coalesced). */
  trigger(reason: string): void {
    if (this.stopped) return;
    this.opts.log.debug('change', { reason });
    if (!this.opts.ready()) return; // the source calls again once synced
    const { clock, debounceMs, minReloadIntervalMs } = this.opts;
    const now = clock.now();
    // The first change after a quiet period is synced at once: waiting out the debounce would add its
    // whole length to every single edit. Changes that follow within the debounce window are coalesced
    // into the next sync, and never postponed by more than 10 debounce periods.
    const quiet = this.lastEventAt === undefined || now - this.lastEventAt >= debounceMs;
    this.lastEventAt = now;
    const leading = quiet && this.timer === undefined && this.running === undefined;
    this.firstPendingAt ??= now;
    const debounced = leading ? now : Math.min(now + debounceMs, this.firstPendingAt + debounceMs * 10);
    const at = Math.max(debounced, this.lastReloadAt + minReloadIntervalMs);
    if (this.timer !== undefined) clock.clearTimeout(this.timer);
    this.timer = clock.setTimeout(() => this.fire(), Math.max(0, at - now));
  }

  /**
   * Nothing will change by itself after nginx -t or a template failed, but a write can work later, and a
   * reload that did not take (nginx stopped, or busy) can take later: retry (1 s doubling to 30 s).
   */
  retry(cause: 'write' | 'reload'): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    this.retryDelayMs = Math.min(Math.max(this.retryDelayMs * 2, 1000), 30000);
    const why = cause === 'reload' ? 'the reload did not take' : 'state directory not writable, or nginx -t timed out';
    this.opts.log.warn(`the sync could not complete (${why}); retrying`, { inMs: this.retryDelayMs });
    this.retryTimer = this.opts.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.trigger('retry after a failed write');
    }, this.retryDelayMs);
  }

  /** A sync completed without an error: the next failure's retry starts again from 1 s. */
  succeeded(): void {
    this.retryDelayMs = 0;
  }

  /**
   * Runs `job` after `ms` as the one job at a time (never beside a sync, which is waited out); a later
   * call replaces a job still waiting. `what` names it in the trigger of a sync held back meanwhile.
   */
  later(ms: number, what: string, job: () => Promise<void>): void {
    const { clock } = this.opts;
    if (this.laterTimer !== undefined) clock.clearTimeout(this.laterTimer);
    this.laterTimer = clock.setTimeout(() => {
      this.laterTimer = undefined;
      if (this.stopped) return;
      if (this.running) return this.later(ms, what, job); // a sync is on: it may make the job moot
      this.running = job().finally(() => {
        this.running = undefined;
        if (this.rerun) {
          this.rerun = false;
          this.trigger(`changes during ${what}`);
        }
      });
    }, ms);
  }

  /** No sync or job starts after this; resolves when the one running has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    const { clock } = this.opts;
    for (const t of [this.timer, this.retryTimer, this.laterTimer]) if (t !== undefined) clock.clearTimeout(t);
    await this.running;
  }

  private fire(): void {
    this.timer = undefined;
    if (this.stopped) return;
    // A relist started since the event: the source calls again once the store is complete.
    if (!this.opts.ready()) {
      this.firstPendingAt = undefined;
      return;
    }
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.firstPendingAt = undefined;
    this.busySince = this.opts.clock.now();
    this.lastProgressAt = this.busySince;
    this.running = this.opts
      .sync()
      .catch((err: Error) => {
        this.opts.log.error('sync crashed', { error: err.stack ?? String(err) });
      })
      .finally(() => {
        this.running = undefined;
        this.busySince = undefined;
        this.lastProgressAt = undefined;
        if (this.rerun) {
          this.rerun = false;
          this.trigger('changes during the last sync');
        }
      });
  }
}
