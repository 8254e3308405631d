import http from 'node:http';
import https from 'node:https';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The echo backend's JSON, when it answered. */
  echo?: { service: string; method: string; path: string; host: string; headers: Record<string, string>; body: string; remoteAddress: string };
}

export interface RequestOptions {
  port: number;
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Use https with this SNI name. */
  tls?: { servername?: string };
  /** Connect to this address (default 127.0.0.1). */
  address?: string;
  localAddress?: string;
}

/** One real HTTP(S) request; never follows redirects, so tests see exactly what nginx answered. */
export function request(opts: RequestOptions): Promise<Reply & { peerCertificate?: { subject?: Record<string, string>; subjectaltname?: string } }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.host !== undefined) headers.host = opts.host;
    const base = {
      host: opts.address ?? '127.0.0.1',
      port: opts.port,
      path: opts.path ?? '/',
      method: opts.method ?? 'GET',
      headers,
      agent: false as const,
      localAddress: opts.localAddress,
    };
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let echo;
        if (res.headers['x-served-by']) {
          try {
            echo = JSON.parse(body);
          } catch {
            echo = undefined;
          }
        }
        const socket = res.socket as import('node:tls').TLSSocket;
        const peerCertificate = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, echo, peerCertificate: peerCertificate as never });
      });
    };
    const req = opts.tls
      ? https.request({ ...base, servername: opts.tls.servername ?? opts.host, rejectUnauthorized: false }, onResponse)
      : http.request(base, onResponse);
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('request timed out')));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
