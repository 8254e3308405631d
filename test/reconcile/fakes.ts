// Fakes for the sync loop's ports (src/reconcile/ports.ts) and a fake clock: the loop runs in process,
// its time moves only when a test says so, and what it did to "nginx" is recorded.
import { ConfigCheckError, ConfigWriteError, ReloadError } from '../../src/apply/apply.js';
import type { Log } from '../../src/log.js';
import { DEFAULT_MODEL_OPTIONS, type ModelOptions, type NginxModel } from '../../src/model/types.js';
import type { Clock, LoopMetrics, NginxPort, StateFilesPort, SyncObserver, SyncOutcome } from '../../src/reconcile/ports.js';
import { SyncLoop } from '../../src/reconcile/sync-loop.js';
import { problemLogObserver } from '../../src/report/observer.js';
import { compileRenderer } from '../../src/render/render.js';
import { loadTemplateSources } from '../../src/render/templates.js';
import type { Source } from '../../src/sources/source.js';
import { Store } from '../../src/store/snapshot.js';
import type { KubeObject } from '../../src/store/types.js';
import { INGRESS_CLASS } from '../support/scenario.js';

/** Resolves once every promise callback already queued (and those they queue, a few levels deep) has run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Time stands still until advance(); due timers fire in order, each followed by settle(). */
export class FakeClock implements Clock {
  private t = 1_000_000;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** When the next timer is due, as a delay from now (undefined: none pending). */
  get nextDueInMs(): number | undefined {
    const next = this.next();
    return next === undefined ? undefined : next.at - this.t;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (let due = this.next(); due !== undefined && due.at <= end; due = this.next()) {
      this.timers.delete(due.seq);
      this.t = Math.max(this.t, due.at);
      due.fn();
      await settle();
    }
    this.t = end;
  }

  private next(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers.values()) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }
}

/** Every line logged, as `LEVEL message` plus its fields. */
export class RecordingLog implements Log {
  readonly lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  error = (message: string, fields?: Record<string, unknown>) => void this.lines.push({ level: 'error', message, fields });
  warn = (message: string, fields?: Record<string, unknown>) => void this.lines.push({ level: 'warn', message, fields });
  info = (message: string, fields?: Record<string, unknown>) => void this.lines.push({ level: 'info', message, fields });
  debug = (message: string, fields?: Record<string, unknown>) => void this.lines.push({ level: 'debug', message, fields });

  messages(level?: string): string[] {
    return this.lines.filter((l) => level === undefined || l.level === level).map((l) => l.message);
  }
}

/** nginx as the reconciler sees it: nginx -t refuses a config holding any of `refused`; writes and reloads can be made to fail. */
export class FakeNginx implements NginxPort {
  checks = 0;
  reloads = 0;
  /** The text of every config put in place (by a reload or an endpoint push). */
  readonly written: string[] = [];
  /** nginx -t fails on a config containing one of these strings, naming its line. */
  refused: string[] = [];
  failWrites = 0;
  failReloads = 0;
  /** While set, nginx -t waits for it: a sync that takes as long as the test wants. */
  gate: Promise<void> | undefined;

  async check(_stateDir: string, text: string): Promise<void> {
    this.checks++;
    await this.gate;
    const lines = text.split('\n');
    const bad = lines.findIndex((l) => this.refused.some((r) => l.includes(r)));
    if (bad >= 0) throw new ConfigCheckError(`nginx: [emerg] refused by the test in /state/check.conf:${bad + 1}\n`, '/state/check.conf');
  }

  async apply(request: Parameters<NginxPort['apply']>[0]): Promise<{ hash: string }> {
    if (request.inForce !== undefined && request.inForce === request.fingerprint) return { hash: 'unchanged' };
    if (this.failWrites > 0) {
      this.failWrites--;
      throw new ConfigWriteError('/state/nginx.conf', new Error('EROFS: read-only file system'));
    }
    if (!request.checked) await this.check(request.stateDir, request.text);
    this.written.push(request.text);
    try {
      await request.reload();
    } catch (err) {
      throw new ReloadError(err);
    }
    return { hash: `hash-${this.written.length}` };
  }

  async reload(): Promise<void> {
    if (this.failReloads > 0) {
      this.failReloads--;
      throw new Error('nginx is not running');
    }
    this.reloads++;
  }
}

function counter(): { n: number; inc(): void } {
  return {
    n: 0,
    inc() {
      this.n++;
    },
  };
}

export function fakeMetrics(): LoopMetrics & { [K in 'nginxChecks' | 'reloadAttempts' | 'reloadSuccesses' | 'reloadFailures' | 'endpointUpdates' | 'templateErrors']: { n: number } } & { hash?: string } {
  return {
    nginxChecks: counter(),
    reloadAttempts: counter(),
    reloadSuccesses: counter(),
    reloadFailures: counter(),
    endpointUpdates: counter(),
    templateErrors: counter(),
    lastReloadSuccess: { setToCurrentTime: () => undefined },
    setConfigHash(hash: string) {
      this.hash = hash;
    },
  };
}

/** A source whose objects the test sets; `synced` false stands for a relist in progress. */
export class FakeSource implements Source {
  synced = true;
  resyncs = 0;
  private onChange: ((reason: string) => void) | undefined;
  private store: Store | undefined;

  async start(store: Store, onChange: (reason: string) => void): Promise<void> {
    this.store = store;
    this.onChange = onChange;
    onChange('started');
  }

  async stop(): Promise<void> {
    this.onChange = undefined;
  }

  async resync(): Promise<void> {
    this.resyncs++;
  }

  /** Puts the objects in the store and tells the loop, as an informer event would. */
  set(...objects: KubeObject[]): void {
    for (const o of objects) this.store!.upsert(o);
    this.onChange?.(`${objects.map((o) => o.metadata?.name).join(',')} changed`);
  }

  event(reason: string): void {
    this.onChange?.(reason);
  }
}

export interface LoopHarness {
  loop: SyncLoop;
  clock: FakeClock;
  nginx: FakeNginx;
  source: FakeSource;
  log: RecordingLog;
  metrics: ReturnType<typeof fakeMetrics>;
  /** Every sync's outcome, in order, and the fake time it ended at. */
  outcomes: SyncOutcome[];
  syncTimes: number[];
  /** Endpoint lists pushed to nginx, one array per push. */
  pushes: Array<ReadonlyArray<[string, string]>>;
  /** Models whose unused state files were removed. */
  cleanups: NginxModel[];
  pushFails: { n: number };
  /** Replaces the templates the loop reads from its --template-dir (with templateDir set). */
  templates: { sources: Map<string, string> | Error };
  /** A template file changed (the watcher's event). */
  templateEvent(): void;
}

export interface HarnessOptions {
  debounceMs?: number;
  minReloadIntervalMs?: number;
  modelOptions?: Partial<ModelOptions>;
  /** Templates read from a (fake) --template-dir; undefined: the built-in templates. */
  templateSources?: Map<string, string>;
}

/** A SyncLoop over fake ports and a fake clock, started, with the IngressClass in its store. */
export async function startLoop(opts: HarnessOptions = {}): Promise<LoopHarness> {
  const clock = new FakeClock();
  const nginx = new FakeNginx();
  const source = new FakeSource();
  const log = new RecordingLog();
  const metrics = fakeMetrics();
  const outcomes: SyncOutcome[] = [];
  const pushes: Array<ReadonlyArray<[string, string]>> = [];
  const cleanups: NginxModel[] = [];
  const pushFails = { n: 0 };
  const store = new Store();
  store.upsert(INGRESS_CLASS);
  const syncTimes: number[] = [];
  const recorder: SyncObserver = {
    afterSync: (o) => {
      outcomes.push(o);
      syncTimes.push(clock.now());
    },
  };
  const stateFiles: StateFilesPort = {
    write: async () => undefined,
    removeUnused: async (model) => {
      cleanups.push(model);
      return [];
    },
  };
  const templates: LoopHarness['templates'] = { sources: opts.templateSources ?? new Map() };
  let onTemplateEvent: (() => void) | undefined;
  const builtIn = await loadTemplateSources();
  const loop = new SyncLoop({
    source,
    store,
    modelOptions: { ...DEFAULT_MODEL_OPTIONS, stateDir: '/state', ...opts.modelOptions },
    templateDir: opts.templateSources ? '/templates' : undefined,
    nginx,
    stateFiles,
    endpoints: {
      push: async (lists) => {
        if (pushFails.n > 0) {
          pushFails.n--;
          throw new Error('connection refused');
        }
        pushes.push(lists);
      },
    },
    log,
    metrics,
    observers: [problemLogObserver(log), recorder],
    clock,
    debounceMs: opts.debounceMs ?? 100,
    minReloadIntervalMs: opts.minReloadIntervalMs ?? 1000,
    templateIo: {
      load: async (dir) => {
        if (!dir) return compileRenderer(builtIn);
        if (templates.sources instanceof Error) throw templates.sources;
        return compileRenderer(new Map([...builtIn, ...templates.sources]));
      },
      watchDir: async (_dir, onEvent) => {
        onTemplateEvent = onEvent;
        return { close: async () => undefined };
      },
    },
  });
  await loop.start();
  await settle();
  return { loop, clock, nginx, source, log, metrics, outcomes, syncTimes, pushes, cleanups, pushFails, templates, templateEvent: () => onTemplateEvent?.() };
}
