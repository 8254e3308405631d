import { watch } from 'chokidar';
import { compileRenderer, type ConfigRenderer } from '../render/render.js';
import { loadTemplateSources } from '../render/templates.js';
import type { Log } from '../log.js';
import type { Clock, Templates } from './ports.js';

export interface TemplateSourceOptions {
  /** A customised copy of templates/, watched; undefined: the built-in templates (not watched). */
  templateDir?: string;
  clock: Clock;
  log: Log;
  metrics: { templateErrors: { inc(): void } };
  /** Renders the current state once with new templates: Handlebars compiles lazily, a broken template shows only then. */
  tryOut: (renderer: ConfigRenderer) => void;
  /** New templates are in use: sync. */
  onChange: (reason: string) => void;
  /** Debounce of template file events (default 100 ms). */
  debounceMs?: number;
  /** Compiles the templates of a directory (undefined: the built-in ones); throws when they cannot be read. */
  load?: (dir: string | undefined) => Promise<ConfigRenderer>;
  /** Calls `onEvent` at every change below `dir`; resolves once watching. */
  watchDir?: (dir: string, onEvent: () => void) => Promise<{ close(): Promise<void> }>;
}

const compileDir = async (dir: string | undefined): Promise<ConfigRenderer> => compileRenderer(await loadTemplateSources(dir));

async function watchWithChokidar(dir: string, onEvent: () => void): Promise<{ close(): Promise<void> }> {
  const watcher = watch(dir, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 30, pollInterval: 10 } });
  watcher.on('all', onEvent);
  await new Promise<void>((r) => watcher.once('ready', () => r()));
  return watcher;
}

/**
 * The templates in use, hot-reloaded from --template-dir: new templates that fail to load or to render
 * the current state are refused (the last good ones and the config in force stay), and templates that
 * make a config fail later are dropped for the last ones that produced a config in force.
 */
export class TemplateSource implements Templates {
  private current: ConfigRenderer | undefined;
  private good: ConfigRenderer | undefined;
  private timer: unknown;
  private watcher: { close(): Promise<void> } | undefined;
  private stopped = false;

  constructor(private readonly opts: TemplateSourceOptions) {}

  get renderer(): ConfigRenderer {
    if (!this.current) throw new Error('internal: templates used before start()');
    return this.current;
  }

  get goodRenderer(): ConfigRenderer | undefined {
    return this.good;
  }

  markGood(): void {
    this.good = this.current;
  }

  fallBackToGood(): void {
    this.current = this.good;
  }

  /** Compiles the templates (throws if they cannot be read), then starts watching them. */
  async start(): Promise<void> {
    const { templateDir, clock } = this.opts;
    this.current = await (this.opts.load ?? compileDir)(templateDir);
    if (!templateDir) return;
    this.watcher = await (this.opts.watchDir ?? watchWithChokidar)(templateDir, () => {
      if (this.stopped) return;
      if (this.timer !== undefined) clock.clearTimeout(this.timer);
      this.timer = clock.setTimeout(() => void this.reload(), this.opts.debounceMs ?? 100);
    });
  }

  /** Reads the templates again (a file changed, or SIGHUP); a no-op without --template-dir. */
  async reload(): Promise<void> {
    const { templateDir: dir, log, metrics } = this.opts;
    if (!dir) return;
    try {
      const next = await (this.opts.load ?? compileDir)(dir);
      this.opts.tryOut(next);
      this.current = next;
      log.info('templates reloaded', { templateDir: dir });
      this.opts.onChange('templates changed');
    } catch (err) {
      metrics.templateErrors.inc();
      log.error('templates not loaded; the last good templates and config stay', { templateDir: dir, error: (err as Error).message });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    await this.watcher?.close();
  }
}
