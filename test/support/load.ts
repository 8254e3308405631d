// A bounded load generator for the reliability tests: N concurrent keep-alive clients against one
// port on 127.0.0.1 for a fixed time (or until stopped), each sending one request at a time, counting
// statuses, wrong answers and errors. Node's http client, one agent (one connection) per client.
import { appendFileSync } from 'node:fs';
import http from 'node:http';

export interface LoadTarget {
  host: string;
  path: string;
  /** The echo service that must answer (a reply from another one counts as a wrong answer). */
  service?: string;
  headers?: Record<string, string>;
}

export interface LoadOptions {
  port: number;
  targets: LoadTarget[];
  /** Concurrent clients (connections). */
  concurrency: number;
  /** Stop after this long; undefined: run until stop(). */
  durationMs?: number;
  address?: string;
  requestTimeoutMs?: number;
  /**
   * Retry once, on a new connection, a request whose reused keep-alive connection was closed by the
   * server before any byte of the answer (ECONNRESET / EPIPE): what HTTP clients do for idempotent
   * requests (RFC 9110 §9.2.2, the race of a server closing an idle connection). Counted apart as
   * `staleRetries`. Default true.
   */
  retryStaleKeepAlive?: boolean;
}

export interface LoadFailure {
  at: number;
  target: string;
  what: string;
}

export interface LoadResult {
  /** Requests whose outcome is known (answered or failed); retries are not counted twice. */
  sent: number;
  /** 2xx from the expected service. */
  ok: number;
  /** Answered, but not 2xx. */
  non2xx: number;
  /** 2xx, but from another service than the target's. */
  wrongBackend: number;
  /** No answer: connection refused/reset, timeout. */
  errors: number;
  staleRetries: number;
  statuses: Record<string, number>;
  errorKinds: Record<string, number>;
  /** The first 20 failures (any of non2xx, wrongBackend, errors), with their time. */
  failures: LoadFailure[];
  durationMs: number;
  requestsPerSecond: number;
  maxLatencyMs: number;
  p99LatencyMs: number;
}

export interface RunningLoad {
  /** The figures so far. */
  snapshot(): LoadResult;
  /** Stops the clients (in-flight requests finish) and returns the figures. */
  stop(): Promise<LoadResult>;
  /** Resolves when durationMs has passed and the clients are done. */
  done: Promise<LoadResult>;
}

interface Outcome {
  status?: number;
  service?: string;
  error?: string;
}

function once(agent: http.Agent, opts: LoadOptions, t: LoadTarget): Promise<Outcome & { stale?: boolean }> {
  return new Promise((resolve) => {
    let answered = false;
    const req = http.request(
      { host: opts.address ?? '127.0.0.1', port: opts.port, path: t.path, method: 'GET', agent, headers: { host: t.host, ...(t.headers ?? {}) } },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let service: string | undefined;
          if (res.headers['x-served-by']) service = String(res.headers['x-served-by']);
          resolve({ status: res.statusCode ?? 0, service });
        });
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: `response: ${err.code ?? err.message}` }));
      },
    );
    req.setTimeout(opts.requestTimeoutMs ?? 10000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (answered) return;
      const code = err.code ?? err.message;
      const stale = req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE');
      resolve({ error: code, stale });
    });
    req.end();
  });
}

/** Starts the clients now. */
export function startLoad(opts: LoadOptions): RunningLoad {
  const started = Date.now();
  let stopping = false;
  const r: LoadResult = {
    sent: 0,
    ok: 0,
    non2xx: 0,
    wrongBackend: 0,
    errors: 0,
    staleRetries: 0,
    statuses: {},
    errorKinds: {},
    failures: [],
    durationMs: 0,
    requestsPerSecond: 0,
    maxLatencyMs: 0,
    p99LatencyMs: 0,
  };
  // Latency histogram in 1 ms buckets up to 10 s (enough for a p99).
  const buckets = new Uint32Array(10001);
  const fail = (t: LoadTarget, what: string) => {
    if (r.failures.length < 20) r.failures.push({ at: Date.now() - started, target: `${t.host}${t.path}`, what });
  };

  const client = async (i: number): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let n = i;
    try {
      while (!stopping && (opts.durationMs === undefined || Date.now() - started < opts.durationMs)) {
        const t = opts.targets[n++ % opts.targets.length]!;
        const t0 = Date.now();
        let out = await once(agent, opts, t);
        if (out.stale && opts.retryStaleKeepAlive !== false) {
          r.staleRetries++;
          out = await once(agent, opts, t);
        }
        const ms = Date.now() - t0;
        buckets[Math.min(ms, 10000)]!++;
        r.maxLatencyMs = Math.max(r.maxLatencyMs, ms);
        r.sent++;
        if (out.error !== undefined) {
          r.errors++;
          r.errorKinds[out.error] = (r.errorKinds[out.error] ?? 0) + 1;
          fail(t, out.error);
          // Do not spin on a refused port.
          await new Promise((res) => setTimeout(res, 10));
          continue;
        }
        const status = out.status!;
        r.statuses[status] = (r.statuses[status] ?? 0) + 1;
        if (status < 200 || status > 299) {
          r.non2xx++;
          fail(t, `status ${status}`);
        } else if (t.service !== undefined && out.service !== t.service) {
          r.wrongBackend++;
          fail(t, `answered by ${out.service ?? '(not a backend)'}`);
        } else {
          r.ok++;
        }
      }
    } finally {
      agent.destroy();
    }
  };

  const figures = (): LoadResult => {
    const durationMs = Date.now() - started;
    let seen = 0;
    let p99 = 0;
    const total = buckets.reduce((a, b) => a + b, 0);
    for (let ms = 0; ms < buckets.length; ms++) {
      seen += buckets[ms]!;
      if (seen >= total * 0.99) {
        p99 = ms;
        break;
      }
    }
    return {
      ...r,
      statuses: { ...r.statuses },
      errorKinds: { ...r.errorKinds },
      failures: [...r.failures],
      durationMs,
      requestsPerSecond: Math.round((r.sent / Math.max(durationMs, 1)) * 1000),
      p99LatencyMs: p99,
    };
  };

  const all = Promise.all(Array.from({ length: opts.concurrency }, (_, i) => client(i)));
  const done = all.then(figures);
  return {
    snapshot: figures,
    stop: async () => {
      stopping = true;
      return done;
    },
    done,
  };
}

/** One line of figures for README: `RELIABILITY: <name>: k=v ...`. */
export function reliabilityLine(name: string, figures: Record<string, string | number | boolean>): string {
  const line = `RELIABILITY: ${name}: ${Object.entries(figures)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`;
  // stdout directly: jest's console wrapper adds a stack trace per line.
  process.stdout.write(`${line}\n`);
  // Collected across test files when asked (docs/notes/reliability.md quotes them).
  if (process.env.RELIABILITY_LOG) appendFileSync(process.env.RELIABILITY_LOG, `${line}\n`);
  return line;
}

/** The load figures every reliability line carries. */
export function loadFigures(r: LoadResult): Record<string, number> {
  return {
    requests: r.sent,
    ok: r.ok,
    failed: r.errors,
    non2xx: r.non2xx,
    wrongBackend: r.wrongBackend,
    staleKeepAliveRetries: r.staleRetries,
    rps: r.requestsPerSecond,
    p99ms: r.p99LatencyMs,
    maxms: r.maxLatencyMs,
  };
}
