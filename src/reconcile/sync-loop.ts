import { buildModel } from '../model/build.js';
import { dynamicEndpointsOn } from '../model/dynamic-endpoints.js';
import type { ModelOptions, NginxModel } from '../model/types.js';
import type { Log } from '../log.js';
import type { Source } from '../sources/source.js';
import type { Store } from '../store/snapshot.js';
import { systemClock, type Clock, type EndpointPort, type LoopMetrics, type NginxPort, type StateFilesPort, type SyncObserver } from './ports.js';
import { Reconciler } from './reconciler.js';
import { SyncScheduler } from './scheduler.js';
import { TemplateSource, type TemplateSourceOptions } from './template-source.js';

/**
 * How long after a reload the files only the previous config used stay on disk. nginx retires its old
 * workers at a reload, but a request already on one of their kept-alive connections is still answered by
 * them; 10 s is far beyond the milliseconds that takes, and short enough that a deleted Secret's key
 * leaves the disk at once in human terms.
 */
export const RETIRED_FILES_GRACE_MS = 10_000;

interface SyncLoopOptions {
  source: Source;
  store: Store;
  modelOptions: ModelOptions;
  /** A customised copy of templates/, watched; undefined: the built-in templates (not watched). */
  templateDir?: string;
  nginx: NginxPort;
  stateFiles: StateFilesPort;
  endpoints: EndpointPort;
  log: Log;
  metrics: LoopMetrics;
  /** Told after every sync, in order (report/observer.ts: metrics, log lines, Kubernetes). */
  observers: SyncObserver[];
  clock?: Clock;
  /** Quiet time after the last event before a sync (default 100 ms). */
  debounceMs?: number;
  /** Minimum time between two reloads (default 1000 ms). */
  minReloadIntervalMs?: number;
  /** Debounce of template file events (default 100 ms). */
  templateDebounceMs?: number;
  /** How templates are read and watched (default: compiled from disk, watched with chokidar). */
  templateIo?: Pick<TemplateSourceOptions, 'load' | 'watchDir'>;
}

/**
 * Keeps nginx in step with the store: the scheduler decides when to sync, the reconciler does one sync,
 * the template source holds the templates in use, and the observers hear of every sync.
 */
export class SyncLoop {
  private readonly scheduler: SyncScheduler;
  private readonly reconciler: Reconciler;
  private readonly templates: TemplateSource;
  private stopped = false;

  constructor(private readonly opts: SyncLoopOptions) {
    const clock = opts.clock ?? systemClock;
    this.scheduler = new SyncScheduler({
      clock,
      log: opts.log,
      debounceMs: opts.debounceMs ?? 100,
      minReloadIntervalMs: opts.minReloadIntervalMs ?? 1000,
      ready: () => opts.source.synced,
      sync: () => this.syncOnce(),
    });
    this.templates = new TemplateSource({
      ...opts.templateIo,
      templateDir: opts.templateDir,
      clock,
      log: opts.log,
      metrics: opts.metrics,
      debounceMs: opts.templateDebounceMs,
      tryOut: (renderer) => void renderer(buildModel(opts.store.snapshot(), opts.modelOptions)),
      onChange: (reason) => this.trigger(reason),
    });
    this.reconciler = new Reconciler({
      store: opts.store,
      modelOptions: opts.modelOptions,
      templates: this.templates,
      nginx: opts.nginx,
      stateFiles: opts.stateFiles,
      endpoints: opts.endpoints,
      log: opts.log,
      metrics: opts.metrics,
      clock,
      onProgress: () => this.scheduler.progress(),
    });
  }

  /** The nginx.conf in force (undefined before the first successful apply). */
  get configInForce(): string | undefined {
    return this.reconciler.configInForce;
  }

  get ready(): boolean {
    return this.reconciler.configInForce !== undefined;
  }

  /** How long the sync in progress has been running (0 when idle). */
  get busyForMs(): number {
    return this.scheduler.busyForMs;
  }

  /** How long the sync in progress has gone without completing a step (0 when idle). */
  get stalledForMs(): number {
    return this.scheduler.stalledForMs;
  }

  /** Compiles the templates (throws if they cannot be read), starts watching them, then starts the source. */
  async start(): Promise<void> {
    await this.templates.start();
    await this.opts.source.start(this.opts.store, (reason) => this.trigger(reason));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // At once: no sync or job starts from here on; then the one running, if any, is waited out.
    const scheduled = this.scheduler.stop();
    await this.templates.stop();
    await this.opts.source.stop();
    await scheduled;
    for (const o of this.opts.observers) await o.stop?.().catch(() => undefined);
  }

  /** An event happened: sync soon (coalesced). */
  trigger(reason: string): void {
    this.scheduler.trigger(reason);
  }

  /** nginx was started again from nginx.conf on disk: with dynamic endpoints, the next sync reloads (Reconciler.nginxRestarted). */
  nginxRestarted(): void {
    if (!dynamicEndpointsOn(this.opts.modelOptions)) return;
    this.reconciler.nginxRestarted();
    this.trigger('nginx restarted');
  }

  /**
   * SIGHUP: the templates (with --template-dir) and the source are read again, and the config is checked
   * and loaded into nginx again even if nothing changed, as `nginx -s reload` would.
   */
  async resync(reason: string): Promise<void> {
    if (this.stopped) return;
    await this.templates.reload();
    await this.opts.source.resync?.();
    this.reconciler.forgetInForce();
    this.trigger(reason);
  }

  private async syncOnce(): Promise<void> {
    const { outcome, reloadedModel } = await this.reconciler.sync();
    if (outcome.reloaded) this.scheduler.reloaded();
    if (outcome.retry) this.scheduler.retry(outcome.retry);
    else if (outcome.report && !outcome.report.error) this.scheduler.succeeded();
    if (reloadedModel) this.removeUnusedStateFilesLater(reloadedModel);
    for (const o of this.opts.observers) {
      try {
        await o.afterSync(outcome);
      } catch (err) {
        this.opts.log.error('reporter failed', { error: (err as Error).message });
      }
    }
  }

  /**
   * The config of `model` is in force: the files it no longer uses (keys of deleted Secrets, old htpasswd
   * files, candidates' files) go, RETIRED_FILES_GRACE_MS after the reload, because the workers it retired
   * still answer requests that arrived on their kept-alive connections, and such a request that finds its
   * htpasswd file gone answers 403. A later apply restarts the wait with its own model. The removal runs
   * as the loop's one job at a time: a sync materializing a candidate's files never races it.
   */
  private removeUnusedStateFilesLater(model: NginxModel): void {
    this.scheduler.later(RETIRED_FILES_GRACE_MS, 'the state file clean-up', async () => {
      // A failure here costs disk space, not the sync: it is logged and retried after the next apply.
      try {
        const removed = await this.opts.stateFiles.removeUnused(model);
        if (removed.length > 0) this.opts.log.debug('unused state files removed', { files: removed.slice(0, 20), count: removed.length });
      } catch (err) {
        this.opts.log.warn('unused state files not removed', { error: (err as Error).message });
      }
    });
  }
}
