import { createHash } from 'node:crypto';
import { ConfigCheckError, ConfigWriteError, ReloadError } from '../apply/apply.js';
import { changedEndpointSets, dynamicEndpointSets, withoutDynamicEndpoints, type EndpointSets } from '../apply/endpoints.js';
import { dynamicEndpointsOn } from '../model/dynamic-endpoints.js';
import { refString, type ModelOptions, type NginxModel } from '../model/types.js';
import type { Log } from '../log.js';
import type { Snapshot } from '../store/snapshot.js';
import { checkReason } from './check-reason.js';
import { ConfigKeyGuard } from './config-keys.js';
import { BaseConfigError, rememberAccepted, TemplateError, type CheckFailure, type CulpritMemory, type LastAccepted, type Plan } from './plan.js';
import type { EndpointPort, LoopMetrics, NginxPort, StateFilesPort, SyncOutcome, SyncReport, Templates } from './ports.js';

interface ReconcilerOptions {
  store: { snapshot(): Snapshot };
  modelOptions: ModelOptions;
  templates: Templates;
  nginx: NginxPort;
  stateFiles: StateFilesPort;
  /** Dynamic endpoints only (modelOptions.dynamicEndpoints). */
  endpoints: EndpointPort;
  log: Log;
  metrics: LoopMetrics;
  clock: { now(): number };
  /** A step of the sync completed (a render, an nginx -t): what /healthz watches. */
  onProgress?: () => void;
}

/** The result of a sync for the loop: the outcome, and the model whose config went into force by a reload. */
interface SyncResult {
  outcome: SyncOutcome;
  reloadedModel?: NginxModel;
}

/**
 * One sync: plan the config (plan.ts: last accepted versions, bisection, ConfigMap keys nginx -t
 * refuses), then put it in force by an endpoint push when only dynamic endpoints changed, else by
 * checking, writing and reloading. A sync that fails in any way keeps the last good config serving.
 */
export class Reconciler {
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

  constructor(private readonly opts: ReconcilerOptions) {}

  /** The nginx.conf in force (undefined before the first successful apply). */
  get configInForce(): string | undefined {
    return this.appliedText;
  }

  /** The next sync checks and reloads even if nothing changed (SIGHUP, as `nginx -s reload` would). */
  forgetInForce(): void {
    this.fingerprint = undefined;
    this.skeleton = undefined;
  }

  /**
   * nginx was started again from nginx.conf on disk: it has lost the endpoints pushed to it, and a push
   * that raced the restart may be in the reconciler's view but not in nginx's. The next sync re-applies
   * the config (nginx -t and a reload) so that nginx and the reconciler agree again.
   */
  nginxRestarted(): void {
    this.forgetInForce();
    this.endpointSets = new Map();
  }

  async sync(): Promise<SyncResult> {
    const { metrics, log, modelOptions, clock } = this.opts;
    const startedAt = clock.now();
    let plan: Plan;
    try {
      plan = await this.plan();
      this.culprits = plan.culprits;
      this.progress();
    } catch (err) {
      log.error('sync failed; the last good config keeps serving', { error: (err as Error).message, kind: (err as Error).name });
      return { outcome: { result: 'failed', substituted: [], reloaded: false, retry: retryCause(err), durationMs: clock.now() - startedAt } };
    }
    const fingerprint = fingerprintOf(plan.text, plan.model);
    const changed = fingerprint !== this.fingerprint;
    const pushed = changed && (await this.pushEndpointsOnly(plan, fingerprint));
    let pushedBeforeReload: EndpointSets = new Map();
    let error: string | undefined;
    let retry: SyncOutcome['retry'];
    let reloadedModel: NginxModel | undefined;
    if (changed && !pushed) {
      metrics.reloadAttempts.inc();
      try {
        await this.opts.stateFiles.write(plan.model);
        const res = await this.opts.nginx.apply({
          stateDir: modelOptions.stateDir,
          text: plan.text,
          fingerprint,
          inForce: this.fingerprint,
          // planConfig ran nginx -t on this very text (its last check is always of the text it returns).
          checked: plan.checks > 0,
          reload: async () => {
            pushedBeforeReload = await this.pushAllEndpoints(plan);
            await this.opts.nginx.reload();
          },
        });
        this.fingerprint = fingerprint;
        this.appliedText = plan.text;
        this.appliedHash = res.hash;
        this.skeleton = this.skeletonOf(plan);
        this.endpointSets = pushedBeforeReload;
        this.opts.templates.markGood();
        reloadedModel = plan.model;
        metrics.reloadSuccesses.inc();
        metrics.lastReloadSuccess.setToCurrentTime();
        metrics.setConfigHash(res.hash);
        log.info('config applied', { hash: res.hash, servers: plan.model.servers.length, upstreams: plan.model.upstreams.length, checks: plan.checks });
      } catch (err) {
        metrics.reloadFailures.inc();
        error = (err as Error).message;
        if (err instanceof ReloadError) {
          // The file is in place, and nginx loads it when it is (re)started; but the config in force is
          // not it until a reload takes, so the fingerprint stays unset and the sync is retried.
          this.appliedText = plan.text;
        }
        const kind = err instanceof ConfigWriteError || err instanceof ConfigCheckError || err instanceof ReloadError ? err.name : 'Error';
        log.error('config not applied; the last good config keeps serving', { error, kind });
        retry = retryCause(err);
      }
    }
    if (!error) rememberAccepted(this.lastAccepted, plan, this.opts.store.snapshot());
    const report: SyncReport = { model: plan.model, reloaded: changed && !pushed && !error, configHash: this.appliedHash ?? '', error, excluded: plan.excluded };
    return {
      outcome: {
        result: error ? 'failed' : changed ? 'applied' : 'unchanged',
        report,
        substituted: plan.substituted.map(refString),
        reloaded: reloadedModel !== undefined,
        retry,
        durationMs: clock.now() - startedAt,
      },
      reloadedModel,
    };
  }

  private progress(): void {
    this.opts.onProgress?.();
  }

  private check = async (model: NginxModel, text: string): Promise<CheckFailure | undefined> => {
    // A config to check means a build and a render just completed.
    this.progress();
    await this.opts.stateFiles.write(model);
    this.opts.metrics.nginxChecks.inc();
    try {
      await this.opts.nginx.check(model.options.stateDir, text);
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
      await this.opts.endpoints.push([...next, ...gone]);
      return next;
    } catch (err) {
      // Before the first start nothing listens; later, the next push sends every list again.
      if (this.appliedText !== undefined) this.opts.log.warn('endpoint lists not pushed before the reload', { error: (err as Error).message });
      return new Map();
    }
  }

  /**
   * Puts a config that differs from the one in force in dynamic endpoints only into force without a
   * reload: the new lists go to nginx, then the file is replaced so that a restart or the next reload
   * starts from them. False when that is not possible; the caller reloads instead.
   */
  private async pushEndpointsOnly(plan: Plan, fingerprint: string): Promise<boolean> {
    const { modelOptions, log, metrics } = this.opts;
    if (!this.onlyEndpointsDiffer(plan)) return false;
    const next = dynamicEndpointSets(plan.model);
    const changes = changedEndpointSets(this.endpointSets, next);
    try {
      if (changes.length > 0) await this.opts.endpoints.push(changes);
      const res = await this.opts.nginx.apply({ stateDir: modelOptions.stateDir, text: plan.text, fingerprint, checked: true, reload: async () => undefined });
      this.fingerprint = fingerprint;
      this.appliedText = plan.text;
      this.appliedHash = res.hash;
      this.endpointSets = next;
      metrics.endpointUpdates.inc();
      metrics.setConfigHash(res.hash);
      log.info('endpoints updated without a reload', { hash: res.hash, upstreams: changes.map(([name]) => name).slice(0, 20), changed: changes.length });
      return true;
    } catch (err) {
      log.warn('endpoints could not be updated without a reload; reloading instead', { error: (err as Error).message });
      return false;
    }
  }

  /** planConfig, with ConfigMap keys that nginx -t refuses left out (config-keys.ts). */
  private async plan(): Promise<Plan> {
    const { modelOptions, templates, metrics, log } = this.opts;
    const snapshot = this.opts.store.snapshot();
    try {
      const plan = await this.configKeys.plan(snapshot, modelOptions, templates.renderer, this.check, this.lastAccepted, this.inForce, this.culprits);
      const good = templates.goodRenderer;
      if (plan.excluded.length === 0 || !good || good === templates.renderer) return plan;
      // New templates and Ingresses excluded: if the last good templates exclude fewer, the templates are at fault.
      const withGood = await this.configKeys.plan(snapshot, modelOptions, good, this.check, this.lastAccepted, this.inForce);
      if (withGood.excluded.length >= plan.excluded.length) return plan;
      metrics.templateErrors.inc();
      log.error('the current templates make nginx -t fail for some Ingresses; rendering with the last good templates', {
        excludedByNewTemplates: plan.excluded.map((r) => refString(r.ingress)),
      });
      templates.fallBackToGood();
      return withGood;
    } catch (err) {
      if (!(err instanceof TemplateError || err instanceof BaseConfigError)) throw err;
      metrics.templateErrors.inc();
      if (!templates.goodRenderer || templates.goodRenderer === templates.renderer) throw err;
      log.error('the current templates fail; rendering with the last good templates', { error: err.message });
      templates.fallBackToGood();
      return this.configKeys.plan(snapshot, modelOptions, templates.renderer, this.check, this.lastAccepted, this.inForce, this.culprits);
    }
  }
}

/** Which failures can pass by themselves: a write (or an nginx -t timeout, an errno), or a reload. */
function retryCause(err: unknown): SyncOutcome['retry'] {
  if (err instanceof ReloadError) return 'reload';
  if (err instanceof ConfigWriteError || typeof (err as NodeJS.ErrnoException)?.code === 'string') return 'write';
  return undefined;
}

/** What decides whether a reload is needed: the text and the content of every file it refers to. */
function fingerprintOf(text: string, model: NginxModel): string {
  const h = createHash('sha256').update(text);
  for (const f of [...model.files].sort((a, b) => a.path.localeCompare(b.path))) h.update(`\0${f.path}\0${f.mode}\0${f.content}`);
  return h.digest('hex');
}
