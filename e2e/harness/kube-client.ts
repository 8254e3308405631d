// A small REST client for the e2e API server as the admin (client certificate): JSON requests with a
// chosen content type (merge patches, status subresources) and list+watch streams, for the process
// kubelet and the controller-manager harness. Only the harness's own loopback API server is dialled.
import { readFileSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import type { AdminCredentials } from './api.js';
import { assertDialable } from './dial-guard.js';

export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path}: HTTP ${status}: ${body.slice(0, 400)}`);
  }
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface Watch {
  stop(): void;
}

export interface KubeObject {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export class KubeClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(creds: AdminCredentials) {
    this.url = new URL(creds.server);
    assertDialable(this.url.hostname);
    this.agent = new Agent({
      ca: readFileSync(creds.caFile),
      cert: readFileSync(creds.certFile),
      key: readFileSync(creds.keyFile),
      keepAlive: true,
      maxSockets: 16,
    });
  }

  private options(method: string, path: string, headers: Record<string, string>): RequestOptions {
    return { method, host: this.url.hostname, port: this.url.port, path, agent: this.agent, headers: { accept: 'application/json', ...headers } };
  }

  /** A JSON request; throws ApiError on a status >= 300. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = 15_000): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = payload ? { 'content-type': contentType, 'content-length': String(payload.length) } : {};
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(this.options(method, path, headers), (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs}ms`)));
      req.on('error', reject);
      req.end(payload);
    });
    if (status >= 300) throw new ApiError(method, path, status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** GET, or undefined on 404. */
  async tryGet<T = unknown>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  mergePatch<T = unknown>(path: string, patch: unknown): Promise<T> {
    return this.request<T>('PATCH', path, patch, 'application/merge-patch+json');
  }

  /**
   * List path, hand every item to onEvent as ADDED, then watch from the list's resourceVersion; on a
   * dropped stream or 410 Gone it lists again. Events arrive one at a time, in order.
   */
  listWatch<T extends KubeObject>(path: string, onEvent: (e: WatchEvent<T>) => void | Promise<void>, onError?: (err: Error) => void): Watch {
    let stopped = false;
    let current: ReturnType<typeof request> | undefined;
    let queue = Promise.resolve();
    const deliver = (e: WatchEvent<T>): void => {
      queue = queue.then(() => onEvent(e)).catch((err: Error) => onError?.(err));
    };
    const sep = path.includes('?') ? '&' : '?';

    /** One watch request from resourceVersion: 'relist' when the version is gone, else the last version seen. */
    const watchFrom = (resourceVersion: string): Promise<{ relist: boolean; rv: string }> =>
      new Promise((resolve) => {
        let rv = resourceVersion;
        const query = `${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${rv}&timeoutSeconds=240`;
        const req = request(this.options('GET', `${path}${query}`, {}), (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            resolve({ relist: true, rv });
            return;
          }
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (!line) continue;
              const e = JSON.parse(line) as WatchEvent<T>;
              if (e.type === 'ERROR') {
                resolve({ relist: true, rv });
                req.destroy();
                return;
              }
              rv = e.object.metadata.resourceVersion ?? rv;
              if (e.type !== 'BOOKMARK') deliver(e);
            }
          });
          res.on('end', () => resolve({ relist: false, rv }));
          res.on('error', () => resolve({ relist: true, rv }));
        });
        current = req;
        req.on('error', () => resolve({ relist: true, rv }));
        req.end();
      });

    const loop = async (): Promise<void> => {
      while (!stopped) {
        let list: { metadata: { resourceVersion: string }; items: T[] };
        try {
          list = await this.get(path);
        } catch (err) {
          if (!stopped) onError?.(err as Error);
          await new Promise((r) => setTimeout(r, 1_000));
          continue;
        }
        for (const item of list.items) deliver({ type: 'ADDED', object: item });
        let rv = list.metadata.resourceVersion;
        while (!stopped) {
          const outcome = await watchFrom(rv);
          rv = outcome.rv;
          if (outcome.relist) break;
        }
        if (!stopped) await new Promise((r) => setTimeout(r, 200));
      }
    };
    void loop();
    return {
      stop: () => {
        stopped = true;
        current?.destroy();
      },
    };
  }

  close(): void {
    this.agent.destroy();
  }
}
