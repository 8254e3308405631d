// The ports of the sync loop: what the scheduler, the template source and the reconciler need from the
// world, injected so that test/reconcile/ drives them with fakes and a fake clock. cli/compose.ts wires
// the real adapters (apply/, pipeline.ts, report/).
import type { NginxModel, Rejection } from '../model/types.js';
import type { ConfigRenderer } from '../render/render.js';

/** Time and timers. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What the reconciler asks of nginx (apply/apply.ts and the supervised process). */
export interface NginxPort {
  /** nginx -t of `text` with the state dir's files in place; throws ConfigCheckError when nginx refuses it. */
  check(stateDir: string, text: string): Promise<void>;
  /**
   * Puts `text` in place as STATE/nginx.conf (after an nginx -t unless `checked`), then calls `reload`
   * (apply/apply.ts applyConfig: ConfigWriteError, ConfigCheckError, ReloadError).
   */
  apply(request: { stateDir: string; text: string; fingerprint: string; inForce?: string; checked: boolean; reload: () => Promise<void> }): Promise<{ hash: string }>;
  /** Loads STATE/nginx.conf into nginx (HUP, or the first start). */
  reload(): Promise<void>;
}

/** The files a config refers to (certificates, credentials, Lua code), below the state dir (pipeline.ts). */
export interface StateFilesPort {
  write(model: NginxModel): Promise<void>;
  /** Removes the files `model`'s config does not use; returns their paths. */
  removeUnused(model: NginxModel): Promise<string[]>;
}

/** Dynamic endpoints: new endpoint lists (upstream name, lines; '' forgets it) to nginx without a reload. */
export interface EndpointPort {
  push(lists: ReadonlyArray<[string, string]>): Promise<void>;
}

/** The renderer in use and the one that produced the config in force (template-source.ts). */
export interface Templates {
  readonly renderer: ConfigRenderer;
  /** Undefined until a config rendered by some templates was applied. */
  readonly goodRenderer: ConfigRenderer | undefined;
  /** The current templates made a config that is now in force. */
  markGood(): void;
  /** The current templates fail: render with the last good ones until the files change again. */
  fallBackToGood(): void;
}

interface Count {
  inc(): void;
}

/** The counters the loop moves as it goes (report/metrics.ts ControllerMetrics has them all). */
export interface LoopMetrics {
  nginxChecks: Count;
  reloadAttempts: Count;
  reloadSuccesses: Count;
  reloadFailures: Count;
  endpointUpdates: Count;
  templateErrors: Count;
  lastReloadSuccess: { setToCurrentTime(): void };
  setConfigHash(hash: string): void;
}

/** What one sync produced, handed to every reporter (status writer, Events). */
export interface SyncReport {
  model: NginxModel;
  /** The config in force after this sync was changed (false: unchanged, or applying failed). */
  reloaded: boolean;
  /** sha256 of the nginx.conf in force. */
  configHash: string;
  /** Set when the new config could not be applied; the last good one keeps serving. */
  error?: string;
  /** Ingresses left out because nginx -t failed with them in (found by bisection). */
  excluded: Rejection[];
}

/** How one sync ended, for the scheduler (retry, reload spacing) and the observers (report/observer.ts). */
export interface SyncOutcome {
  result: 'applied' | 'unchanged' | 'failed';
  /** Absent when no plan could be made (templates, the base config, or I/O failed). */
  report?: SyncReport;
  /** Ingresses that keep serving their last accepted version (plan.ts), as NAMESPACE/NAME. */
  substituted: string[];
  /** nginx reloaded with a new config (not an endpoint push). */
  reloaded: boolean;
  /** A failure that can pass by itself: a write to the state dir (or an nginx -t timeout), or a reload. */
  retry?: 'write' | 'reload';
  /** From the start of the plan to the config in force (or the failure). */
  durationMs: number;
}

/** Told after every sync, in order; a failing observer is logged and the others still run. */
export interface SyncObserver {
  afterSync(outcome: SyncOutcome): Promise<void> | void;
  stop?(): Promise<void>;
}
