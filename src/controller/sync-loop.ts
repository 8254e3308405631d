import { watch, type FSWatcher } from 'chokidar';
import { createHash } from 'node:crypto';
import { applyConfig, checkConfigText, ConfigCheckError, ConfigWriteError, ReloadError } from '../apply/apply.js';
import { changedEndpointSets, dynamicEndpointSets, pushEndpoints, withoutDynamicEndpoints, type EndpointSets } from '../apply/endpoints.js';
import { buildModel } from '../model/build.js';
import { dynamicEndpointsOn } from '../model/dynamic-endpoints.js';
import { refString, type ModelOptions, type NginxModel } from '../model/types.js';
import { materializeStateFiles, removeStateFilesNotUsedBy } from '../pipeline.js';
import { compileRenderer, type ConfigRenderer } from '../render/render.js';
import { loadTemplateSources } from '../render/templates.js';
import type { Logger } from '../report/logger.js';
import { rejectionLine, warningLine } from '../report/messages.js';
import type { ControllerMetrics } from '../report/metrics.js';
import type { Reporter, SyncReport } from '../report/types.js';
import type { Source } from '../sources/types.js';
import type { Store } from '../store/snapshot.js';
import { checkReason } from './check-reason.js';
import { ConfigKeyGuard } from './config-keys.js';
import { BaseConfigError, rememberAccepted, TemplateError, type CheckFailure, type CulpritMemory, type LastAccepted, type Plan } from './plan.js';

/**
 * How long after a reload the files only the previous config used stay on disk. nginx retires its old
 * workers at a reload, but a request already on one of their kept-alive connections is still answered by
 * them; 10 s is far beyond the milliseconds that takes, and short enough that a deleted Secret's key
 * leaves the disk at once in human terms.
 */
export const RETIRED_FILES_GRACE_MS = 10_000;

export interface SyncLoopOptions {
  source: Source;
  store: Store;
  modelOptions: ModelOptions;
  /** A customised copy of templates/, watched; undefined: the built-in templates (not watched). */
  templateDir?: string;
  nginxBinary: string;
  /** Loads STATE/nginx.conf into nginx (HUP, or the first start). */
  reload: () => Promise<void>;
  logger: Logger;
  metrics: ControllerMetrics;
  reporters?: Reporter[];
  /** Quiet time after the last event before a sync (default 100 ms). */
  debounceMs?: number;
  /** Minimum time between two reloads (default 1000 ms). */
  minReloadIntervalMs?: number;
  /** Debounce of template file events (default 100 ms). */
  templateDebounceMs?: number;
  /** Dynamic endpoints: the per-start secret each push carries (modelOptions.endpointPushDigest is its digest). Never logged. */
  endpointPushToken?: string;
}

/**
 * Keeps nginx in step with the store: events are coalesced (leading-edge debounce + minimum interval between reloads),
 * nothing is rendered until the source is synced, one sync runs at a time, and a sync that fails in any
 * way (template, nginx -t, write, reload) keeps the last good config serving and is reported.
 */
export class SyncLoop {
  private renderer: ConfigRenderer | undefined;
  /** The renderer that produced the config in force: the fallback while newer templates are broken. */
  private goodRenderer: ConfigRenderer | undefined;
  private templateWatcher: FSWatcher | undefined;
  private templateTimer: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** A sync that failed to write to the state dir (read-only, full) is retried with backoff, without waiting for an event. */
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = 0;
  /** The removal of files the config in force no longer uses, after RETIRED_FILES_GRACE_MS. */
  private cleanupTimer: NodeJS.Timeout | undefined;
  private firstPendingAt: number | undefined;
  private lastEventAt: number | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private busySince: number | undefined;
  /** When the sync in progress last completed a step (a render, an nginx -t, the apply): what /healthz watches. */
  private lastProgressAt: number | undefined;
  private stopped = false;
  private lastReloadAt = 0;
  private fingerprint: string | undefined;
  private appliedText: string | undefined;
  private appliedHash: string | undefined;
  /** The config in force without its dynamic endpoint lines (see apply/endpoints.ts), and the endpoints nginx uses. */
  private skeleton: string | undefined;
  private endpointSets: EndpointSets = new Map();
  private lastSkeleton: { model: NginxModel; text: string; value: string } | undefined;
  private readonly lastAccepted: LastAccepted = new Map();
  /** The Ingresses the last plan left out, so that the next one need not bisect again (plan.ts). */
  private culprits: CulpritMemory | undefined;
  private readonly configKeys = new ConfigKeyGuard();
  private loggedProblems = new Set<string>();
  private readonly debounceMs: number;
  private readonly minReloadIntervalMs: number;
  private readonly waiters: Array<() => void> = [];
  /** Syncs completed (any result); tests and the demo wait on it. */
  syncCount = 0;
  lastReport: SyncReport | undefined;

  constructor(private readonly opts: SyncLoopOptions) {
    this.debounceMs = opts.debounceMs ?? 100;
    this.minReloadIntervalMs = opts.minReloadIntervalMs ?? 1000;
  }

  /** The nginx.conf in force (undefined before the first successful apply). */
  get configInForce(): string | undefined {
    return this.appliedText;
  }

  get ready(): boolean {
    return this.appliedText !== undefined;
  }

  /** How long the sync in progress has been running (0 when idle). */
  get busyForMs(): number {
    return this.busySince === undefined ? 0 : Date.now() - this.busySince;
  }

  /**
   * How long the sync in progress has gone without completing a step (0 when idle): a wedged loop makes
   * /healthz fail, a long one that keeps making progress (a first bisection at 10,000 Ingresses is 20+
   * nginx -t of ~8 s each) does not.
   */
  get stalledForMs(): number {
    return this.busySince === undefined ? 0 : Date.now() - (this.lastProgressAt ?? this.busySince);
  }

  private progress(): void {
    this.lastProgressAt = Date.now();
  }

  /** Compiles the templates (throws if they cannot be read), starts watching them, then starts the source. */
  async start(): Promise<void> {
    this.renderer = compileRenderer(await loadTemplateSources(this.opts.templateDir));
    if (this.opts.templateDir) {
      this.templateWatcher = watch(this.opts.templateDir, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 30, pollInterval: 10 } });
      const onTemplate = () => {
        if (this.templateTimer) clearTimeout(this.templateTimer);
        this.templateTimer = setTimeout(() => void this.reloadTemplates(), this.opts.templateDebounceMs ?? 100);
      };
      this.templateWatcher.on('all', onTemplate);
      await new Promise<void>((r) => this.templateWatcher!.once('ready', () => r()));
    }
    await this.opts.source.start(this.opts.store, (reason) => this.trigger(reason));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.cleanupTimer) clearTimeout(this.cleanupTimer);
    if (this.templateTimer) clearTimeout(this.templateTimer);
    await this.templateWatcher?.close();
    await this.opts.source.stop();
    await this.running;
    for (const r of this.opts.reporters ?? []) await r.stop().catch(() => undefined);
  }

  /** An event happened: sync soon (coalesced). */
  trigger(reason: string): void {
    if (this.stopped) return;
    this.opts.logger.debug('change', { reason });
    if (!this.opts.source.synced) return; // the source calls again once synced
    const now = Date.now();
    // The first change after a quiet period is synced at once: waiting out the debounce would add its
    // whole length to every single edit. Changes that follow within the debounce window are coalesced
    // into the next sync, and never postponed by more than 10 debounce periods.
    const quiet = this.lastEventAt === undefined || now - this.lastEventAt >= this.debounceMs;
    this.lastEventAt = now;
    const leading = quiet && this.timer === undefined && this.running === undefined;
    this.firstPendingAt ??= now;
    const debounced = leading ? now : Math.min(now + this.debounceMs, this.firstPendingAt + this.debounceMs * 10);
    const at = Math.max(debounced, this.lastReloadAt + this.minReloadIntervalMs);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - now));
  }

  /**
   * Before a reload, nginx gets the endpoint lists of the config it is about to load (and forgets the
   * upstreams that config drops): a pushed list older than the new `server` lines must not outlive the
   * reload, and a push made while a large config is still loading must not be lost to it. Returns the
   * lists nginx now has; empty when dynamic endpoints are off or nginx could not be reached (not started
   * yet, or restarting), so that the next push sends every list.
   */
  private async pushAllEndpoints(plan: Plan): Promise<EndpointSets> {
    if (!dynamicEndpointsOn(plan.model.options)) return new Map();
    const next = dynamicEndpointSets(plan.model);
    const gone: Array<[string, string]> = [...this.endpointSets.keys()].filter((name) => !next.has(name)).map((name) => [name, '']);
    try {
      await pushEndpoints(plan.model.options.statusPort!, this.opts.endpointPushToken ?? '', [...next, ...gone]);
      return next;
    } catch (err) {
      // Before the first start nothing listens; later, the next push sends every list again.
      if (this.appliedText !== undefined) this.opts.logger.warn('endpoint lists not pushed before the reload', { error: (err as Error).message });
      return new Map();
    }
  }

  /**
   * nginx was started again from nginx.conf on disk: it has lost the endpoints pushed to it, and a push
   * that raced the restart may be in the loop's view but not in nginx's. The next sync re-applies the
   * config (nginx -t and a reload) so that nginx and the loop agree again.
   */
  nginxRestarted(): void {
    if (!dynamicEndpointsOn(this.opts.modelOptions)) return;
    this.fingerprint = undefined;
    this.skeleton = undefined;
    this.endpointSets = new Map();
    this.trigger('nginx restarted');
  }

  /**
   * SIGHUP: the templates (with --template-dir) and the source are read again, and the config is checked
   * and loaded into nginx again even if nothing changed, as `nginx -s reload` would.
   */
  async resync(reason: string): Promise<void> {
    if (this.stopped) return;
    if (this.opts.templateDir) await this.reloadTemplates();
    await this.opts.source.resync?.();
    this.fingerprint = undefined;
    this.skeleton = undefined;
    this.trigger(reason);
  }

  /** Resolves after the next sync completes. */
  nextSync(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  private fire(): void {
    this.timer = undefined;
    if (this.stopped) return;
    // A relist started since the event: the source calls again once the store is complete.
    if (!this.opts.source.synced) {
      this.firstPendingAt = undefined;
      return;
    }
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.firstPendingAt = undefined;
    this.busySince = Date.now();
    this.lastProgressAt = this.busySince;
    this.running = this.syncOnce()
      .catch((err: Error) => {
        this.opts.logger.error('sync crashed', { error: err.stack ?? String(err) });
      })
      .finally(() => {
        this.running = undefined;
        this.busySince = undefined;
        this.lastProgressAt = undefined;
        this.syncCount++;
        for (const w of this.waiters.splice(0)) w();
        if (this.rerun) {
          this.rerun = false;
          this.trigger('changes during the last sync');
        }
      });
  }

  private async reloadTemplates(): Promise<void> {
    const dir = this.opts.templateDir!;
    try {
      const next = compileRenderer(await loadTemplateSources(dir));
      // Handlebars compiles lazily: render the current state once to catch a broken template now.
      next(buildModel(this.opts.store.snapshot(), this.opts.modelOptions));
      this.renderer = next;
      this.opts.logger.info('templates reloaded', { templateDir: dir });
      this.trigger('templates changed');
    } catch (err) {
      this.opts.metrics.templateErrors.inc();
      this.opts.logger.error('templates not loaded; the last good templates and config stay', { templateDir: dir, error: (err as Error).message });
    }
  }

  private check = async (model: NginxModel, text: string): Promise<CheckFailure | undefined> => {
    // A config to check means a build and a render just completed.
    this.progress();
    await materializeStateFiles(model);
    this.opts.metrics.nginxChecks.inc();
    try {
      await checkConfigText({ nginxBinary: this.opts.nginxBinary, stateDir: model.options.stateDir }, text);
      return undefined;
    } catch (err) {
      if (err instanceof ConfigCheckError) {
        const lines = err.problems.some((p) => p.line !== undefined) ? text.split('\n') : [];
        const named = err.problems.flatMap((p) => (p.line !== undefined ? [lines[p.line - 1] ?? ''] : []));
        return { reason: checkReason(err.problems, text, err.message), evidence: [...err.problems.map((p) => p.message), ...named] };
      }
      throw err;
    } finally {
      this.progress();
    }
  };

  /**
   * The config in force passed nginx -t already: a sync that renders it again (an event that changed
   * nothing), or renders it with other dynamic endpoints only, needs no check.
   */
  private inForce = (c: { model: NginxModel; text: string }): boolean =>
    this.fingerprint !== undefined && (fingerprintOf(c.text, c.model) === this.fingerprint || this.onlyEndpointsDiffer(c));

  private onlyEndpointsDiffer(c: { model: NginxModel; text: string }): boolean {
    return dynamicEndpointsOn(c.model.options) && this.skeleton !== undefined && this.skeletonOf(c) === this.skeleton;
  }

  /**
   * The fingerprint of a config without its dynamic endpoint lines. Remembered for the last config asked
   * about: a sync asks for the same one up to three times (check, push, after a reload), each a pass over
   * the whole text (13 MB at 10,000 Ingresses).
   */
  private skeletonOf(c: { model: NginxModel; text: string }): string {
    if (this.lastSkeleton?.model !== c.model || this.lastSkeleton.text !== c.text) {
      this.lastSkeleton = { model: c.model, text: c.text, value: fingerprintOf(withoutDynamicEndpoints(c.text), c.model) };
    }
    return this.lastSkeleton.value;
  }

  /**
   * Puts a config that differs from the one in force in dynamic endpoints only into force without a
   * reload: the new lists go to nginx, then the file is replaced so that a restart or the next reload
   * starts from them. False when that is not possible; the caller reloads instead.
   */
  private async pushEndpointsOnly(plan: Plan, fingerprint: string): Promise<boolean> {
    const { modelOptions, logger, metrics } = this.opts;
    if (!this.onlyEndpointsDiffer(plan)) return false;
    const next = dynamicEndpointSets(plan.model);
    const changes = changedEndpointSets(this.endpointSets, next);
    try {
      if (changes.length > 0) await pushEndpoints(modelOptions.statusPort!, this.opts.endpointPushToken ?? '', changes);
      const res = await applyConfig({ nginxBinary: this.opts.nginxBinary, stateDir: modelOptions.stateDir, text: plan.text, fingerprint, checked: true, reload: async () => undefined });
      this.fingerprint = fingerprint;
      this.appliedText = plan.text;
      this.appliedHash = res.hash;
      this.endpointSets = next;
      metrics.endpointUpdates.inc();
      metrics.setConfigHash(res.hash);
      logger.info('endpoints updated without a reload', { hash: res.hash, upstreams: changes.map(([name]) => name).slice(0, 20), changed: changes.length });
      return true;
    } catch (err) {
      logger.warn('endpoints could not be updated without a reload; reloading instead', { error: (err as Error).message });
      return false;
    }
  }

  /** planConfig, with ConfigMap keys that nginx -t refuses left out (controller/config-keys.ts). */
  private async plan(): Promise<Plan> {
    const snapshot = this.opts.store.snapshot();
    const { modelOptions } = this.opts;
    try {
      const plan = await this.configKeys.plan(snapshot, modelOptions, this.renderer!, this.check, this.lastAccepted, this.inForce, this.culprits);
      if (plan.excluded.length === 0 || !this.goodRenderer || this.goodRenderer === this.renderer) return plan;
      // New templates and Ingresses excluded: if the last good templates exclude fewer, the templates are at fault.
      const good = await this.configKeys.plan(snapshot, modelOptions, this.goodRenderer, this.check, this.lastAccepted, this.inForce);
      if (good.excluded.length >= plan.excluded.length) return plan;
      this.opts.metrics.templateErrors.inc();
      this.opts.logger.error('the current templates make nginx -t fail for some Ingresses; rendering with the last good templates', {
        excludedByNewTemplates: plan.excluded.map((r) => refString(r.ingress)),
      });
      this.renderer = this.goodRenderer;
      return good;
    } catch (err) {
      if (!(err instanceof TemplateError || err instanceof BaseConfigError)) throw err;
      this.opts.metrics.templateErrors.inc();
      if (!this.goodRenderer || this.goodRenderer === this.renderer) throw err;
      this.opts.logger.error('the current templates fail; rendering with the last good templates', { error: err.message });
      this.renderer = this.goodRenderer;
      return this.configKeys.plan(snapshot, modelOptions, this.renderer, this.check, this.lastAccepted, this.inForce, this.culprits);
    }
  }

  private async syncOnce(): Promise<void> {
    const { metrics, logger, modelOptions } = this.opts;
    const endTimer = metrics.syncDuration.startTimer();
    let plan: Plan;
    try {
      plan = await this.plan();
      this.culprits = plan.culprits;
      this.progress();
    } catch (err) {
      endTimer();
      metrics.syncs.inc({ result: 'failed' });
      logger.error('sync failed; the last good config keeps serving', { error: (err as Error).message, kind: (err as Error).name });
      this.retryIfWriteFailed(err);
      return;
    }
    const fingerprint = fingerprintOf(plan.text, plan.model);
    const changed = fingerprint !== this.fingerprint;
    const pushed = changed && (await this.pushEndpointsOnly(plan, fingerprint));
    let pushedBeforeReload: EndpointSets = new Map();
    let error: string | undefined;
    if (changed && !pushed) {
      metrics.reloadAttempts.inc();
      try {
        await materializeStateFiles(plan.model);
        const res = await applyConfig({
          nginxBinary: this.opts.nginxBinary,
          stateDir: modelOptions.stateDir,
          text: plan.text,
          fingerprint,
          inForce: this.fingerprint,
          // planConfig ran nginx -t on this very text (its last check is always of the text it returns).
          checked: plan.checks > 0,
          reload: async () => {
            pushedBeforeReload = await this.pushAllEndpoints(plan);
            await this.opts.reload();
          },
        });
        this.fingerprint = fingerprint;
        this.appliedText = plan.text;
        this.appliedHash = res.hash;
        this.skeleton = this.skeletonOf(plan);
        this.endpointSets = pushedBeforeReload;
        this.goodRenderer = this.renderer;
        this.lastReloadAt = Date.now();
        metrics.reloadSuccesses.inc();
        metrics.lastReloadSuccess.setToCurrentTime();
        metrics.setConfigHash(res.hash);
        logger.info('config applied', { hash: res.hash, servers: plan.model.servers.length, upstreams: plan.model.upstreams.length, checks: plan.checks });
        this.removeUnusedStateFilesLater(plan.model);
      } catch (err) {
        metrics.reloadFailures.inc();
        error = (err as Error).message;
        if (err instanceof ReloadError) {
          // The file is in place, and nginx loads it when it is (re)started; but the config in force is
          // not it until a reload takes, so the fingerprint stays unset and the sync is retried.
          this.appliedText = plan.text;
        }
        const kind = err instanceof ConfigWriteError || err instanceof ConfigCheckError || err instanceof ReloadError ? err.name : 'Error';
        logger.error('config not applied; the last good config keeps serving', { error, kind });
        this.retryIfWriteFailed(err);
      }
    }
    if (!error) this.retryDelayMs = 0;
    if (!error) rememberAccepted(this.lastAccepted, plan, this.opts.store.snapshot());
    endTimer();
    metrics.syncs.inc({ result: error ? 'failed' : changed ? 'applied' : 'unchanged' });
    this.reportModel(plan);
    const report: SyncReport = { model: plan.model, reloaded: changed && !pushed && !error, configHash: this.appliedHash ?? '', error, excluded: plan.excluded };
    this.lastReport = report;
    for (const r of this.opts.reporters ?? []) {
      try {
        await r.onSync(report);
      } catch (err) {
        logger.error('reporter failed', { error: (err as Error).message });
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
    if (this.cleanupTimer) clearTimeout(this.cleanupTimer);
    this.cleanupTimer = setTimeout(() => {
      this.cleanupTimer = undefined;
      if (this.stopped) return;
      if (this.running) return this.removeUnusedStateFilesLater(model); // a sync is on: it may apply a newer model
      this.running = this.removeUnusedStateFiles(model).finally(() => {
        this.running = undefined;
        if (this.rerun) {
          this.rerun = false;
          this.trigger('changes during the state file clean-up');
        }
      });
    }, RETIRED_FILES_GRACE_MS);
  }

  /** A failure here costs disk space, not the sync: it is logged and retried after the next apply. */
  private async removeUnusedStateFiles(model: NginxModel): Promise<void> {
    try {
      const removed = await removeStateFilesNotUsedBy(model);
      if (removed.length > 0) this.opts.logger.debug('unused state files removed', { files: removed.slice(0, 20), count: removed.length });
    } catch (err) {
      this.opts.logger.warn('unused state files not removed', { error: (err as Error).message });
    }
  }

  /**
   * Nothing will change by itself after nginx -t or a template failed, but a write can work later, and a
   * reload that did not take (nginx stopped, or busy) can take later: retry (1 s doubling to 30 s).
   */
  private retryIfWriteFailed(err: unknown): void {
    const io = err instanceof ConfigWriteError || typeof (err as NodeJS.ErrnoException)?.code === 'string';
    const reload = err instanceof ReloadError;
    if ((!io && !reload) || this.stopped || this.retryTimer) return;
    this.retryDelayMs = Math.min(Math.max(this.retryDelayMs * 2, 1000), 30000);
    const why = reload ? 'the reload did not take' : 'state directory not writable, or nginx -t timed out';
    this.opts.logger.warn(`the sync could not complete (${why}); retrying`, { inMs: this.retryDelayMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.trigger('retry after a failed write');
    }, this.retryDelayMs);
  }

  /** Metrics of the model, and a log line for each rejection and warning the first time it appears. */
  private reportModel(plan: Plan): void {
    const { metrics, logger } = this.opts;
    const rejected = new Set([...plan.model.rejections, ...plan.excluded].map((r) => refString(r.ingress)));
    metrics.ingressesOwned.set(plan.model.owned.length);
    metrics.ingressesRejected.set(rejected.size);
    metrics.ingressesExcluded.set(plan.excluded.length);
    const now = new Set<string>();
    const substituted = new Set(plan.substituted.map(refString));
    for (const r of [...plan.model.rejections, ...plan.excluded]) {
      const line = rejectionLine(r);
      now.add(line);
      if (this.loggedProblems.has(line)) continue;
      const key = refString(r.ingress);
      logger.warn(line, {
        ingress: key,
        field: r.field,
        reason: r.reason,
        whole: r.whole,
        excluded: plan.excluded.includes(r) || undefined,
        keepsServing: substituted.has(key) ? 'last accepted version' : undefined,
      });
    }
    for (const w of plan.model.warnings) {
      const line = warningLine(w);
      now.add(line);
      if (!this.loggedProblems.has(line)) logger.warn(line, { ingress: w.ingress ? refString(w.ingress) : undefined, object: w.object });
    }
    this.loggedProblems = now;
  }
}

/** What decides whether a reload is needed: the text and the content of every file it refers to. */
function fingerprintOf(text: string, model: NginxModel): string {
  const h = createHash('sha256').update(text);
  for (const f of [...model.files].sort((a, b) => a.path.localeCompare(b.path))) h.update(`\0${f.path}\0${f.mode}\0${f.content}`);
  return h.digest('hex');
}
