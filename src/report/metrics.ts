import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What nginx's stub_status page says. */
export interface StubStatus {
  active: number;
  accepts: number;
  handled: number;
  requests: number;
  reading: number;
  writing: number;
  waiting: number;
}

export function parseStubStatus(text: string): StubStatus | undefined {
  const active = /Active connections:\s*(\d+)/.exec(text);
  const totals = /\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\n/.exec(text);
  const rww = /Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)/.exec(text);
  if (!active || !totals || !rww) return undefined;
  return {
    active: Number(active[1]),
    accepts: Number(totals[1]),
    handled: Number(totals[2]),
    requests: Number(totals[3]),
    reading: Number(rww[1]),
    writing: Number(rww[2]),
    waiting: Number(rww[3]),
  };
}

/** Fetches stub_status from nginx's loopback-only status server; undefined when nginx does not answer. */
export async function scrapeStubStatus(port: number, timeoutMs = 1000): Promise<StubStatus | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/nginx_status`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    return parseStubStatus(await res.text());
  } catch {
    return undefined;
  }
}

/** Every metric the controller exports, on its own registry (so tests can build several). */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reloadAttempts: Counter;
  readonly reloadSuccesses: Counter;
  readonly reloadFailures: Counter;
  readonly endpointUpdates: Counter;
  readonly lastReloadSuccess: Gauge;
  readonly configInfo: Gauge<'hash'>;
  readonly syncDuration: Histogram;
  readonly syncs: Counter<'result'>;
  readonly ingressesOwned: Gauge;
  readonly ingressesRejected: Gauge;
  readonly ingressesExcluded: Gauge;
  readonly manifestErrors: Counter;
  readonly templateErrors: Counter;
  readonly nginxRestarts: Counter;
  readonly nginxChecks: Counter;
  private configHash: string | undefined;

  constructor(opts: { stubStatusPort?: number; defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.reloadAttempts = new Counter({ name: 'portico_reload_attempts_total', help: 'Changed configs the controller tried to apply (nginx -t, then reload)', registers });
    this.reloadSuccesses = new Counter({ name: 'portico_reload_successes_total', help: 'Configs checked, moved into place and loaded by nginx', registers });
    this.reloadFailures = new Counter({ name: 'portico_reload_failures_total', help: 'Configs that could not be applied; the last good config kept serving', registers });
    this.endpointUpdates = new Counter({ name: 'portico_endpoint_updates_total', help: 'Endpoint-only changes put in force without a reload (dynamic endpoints)', registers });
    this.lastReloadSuccess = new Gauge({ name: 'portico_last_reload_success_timestamp_seconds', help: 'Unix time of the last successful reload', registers });
    this.configInfo = new Gauge({ name: 'portico_config_info', help: 'sha256 of the nginx.conf in force (value is always 1)', labelNames: ['hash'], registers });
    this.syncDuration = new Histogram({
      name: 'portico_sync_duration_seconds',
      help: 'Time from the start of a sync (render) to the config in force (or the failure)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.syncs = new Counter({ name: 'portico_syncs_total', help: 'Syncs by result (unchanged, applied, failed)', labelNames: ['result'], registers });
    this.ingressesOwned = new Gauge({ name: 'portico_ingresses_owned', help: 'Ingresses this controller owns', registers });
    this.ingressesRejected = new Gauge({ name: 'portico_ingresses_rejected', help: 'Owned Ingresses with at least one rejection (whole or in part)', registers });
    this.ingressesExcluded = new Gauge({ name: 'portico_ingresses_excluded', help: 'Ingresses left out because nginx -t failed with them in', registers });
    this.manifestErrors = new Counter({ name: 'portico_manifest_errors_total', help: 'Manifest files that could not be read or parsed (directory mode)', registers });
    this.templateErrors = new Counter({ name: 'portico_template_errors_total', help: 'Template loads or renders that failed; the last good config kept serving', registers });
    this.nginxRestarts = new Counter({ name: 'portico_nginx_restarts_total', help: 'Times nginx died and was started again', registers });
    this.nginxChecks = new Counter({ name: 'portico_nginx_checks_total', help: 'nginx -t runs by the sync loop (one per changed config; more while a bisection looks for an Ingress nginx refuses)', registers });

    const port = opts.stubStatusPort;
    let scrape: Promise<StubStatus | undefined> | undefined;
    // One scrape per collection, shared by every nginx metric.
    const status = (): Promise<StubStatus | undefined> => {
      scrape ??= (port ? scrapeStubStatus(port) : Promise.resolve(undefined)).finally(() => setTimeout(() => (scrape = undefined), 0));
      return scrape;
    };
    new Gauge({
      name: 'portico_nginx_up',
      help: "1 when nginx's stub_status answered this scrape, else 0 (the nginx series below are then absent or 0)",
      registers,
      async collect() {
        this.set((await status()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'portico_nginx_connections',
      help: 'nginx connections by state, from stub_status',
      labelNames: ['state'],
      registers,
      async collect() {
        const s = await status();
        this.reset();
        if (!s) return;
        this.set({ state: 'active' }, s.active);
        this.set({ state: 'reading' }, s.reading);
        this.set({ state: 'writing' }, s.writing);
        this.set({ state: 'waiting' }, s.waiting);
      },
    });
    const total = (name: string, help: string, pick: (s: StubStatus) => number) =>
      new Counter({
        name,
        help,
        registers,
        async collect() {
          const s = await status();
          this.reset();
          if (s) this.inc(pick(s));
        },
      });
    total('portico_nginx_connections_accepted_total', 'Client connections nginx accepted (stub_status; restarts with nginx)', (s) => s.accepts);
    total('portico_nginx_connections_handled_total', 'Client connections nginx handled (stub_status)', (s) => s.handled);
    total('portico_nginx_requests_total', 'Client requests nginx served (stub_status)', (s) => s.requests);
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'portico_process_' });
  }

  setConfigHash(hash: string): void {
    if (this.configHash === hash) return;
    this.configInfo.reset();
    this.configInfo.set({ hash }, 1);
    this.configHash = hash;
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Reads one sample from Prometheus text (tests and the demo): `name{labels}` → value. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) have[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}
