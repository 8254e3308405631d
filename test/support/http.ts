import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { connect as tlsConnect } from 'node:tls';

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
  /** Use https with this SNI name, and this client certificate if given. */
  tls?: { servername?: string; cert?: string; key?: string };
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
      ? https.request({ ...base, servername: opts.tls.servername ?? opts.host, rejectUnauthorized: false, cert: opts.tls.cert, key: opts.tls.key }, onResponse)
      : http.request(base, onResponse);
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('request timed out')));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/**
 * One HTTP/1.1 request written byte for byte, after an optional PROXY protocol v1 line (as a TCP load
 * balancer sends it); with `tls`, the TLS handshake follows the PROXY line, as on a proxy_protocol ssl listener.
 */
export function rawRequest(opts: { port: number; proxyLine?: string; host: string; path?: string; tls?: boolean; headers?: Record<string, string> }): Promise<Reply & { rawHead: string }> {
  return new Promise((resolve, reject) => {
    const extra = Object.entries(opts.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    const text = `GET ${opts.path ?? '/'} HTTP/1.1\r\nHost: ${opts.host}\r\n${extra}Connection: close\r\n\r\n`;
    const chunks: Buffer[] = [];
    const plain = net.connect(opts.port, '127.0.0.1');
    plain.on('error', reject);
    plain.setTimeout(10000, () => plain.destroy(new Error('timed out')));
    plain.once('connect', () => {
      if (opts.proxyLine) plain.write(`${opts.proxyLine}\r\n`);
      const stream = opts.tls ? tlsConnect({ socket: plain, servername: opts.host, rejectUnauthorized: false }) : plain;
      stream.on('error', reject);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const all = Buffer.concat(chunks).toString('utf8');
        const split = all.indexOf('\r\n\r\n');
        const head = all.slice(0, split).split('\r\n');
        const body = all.slice(split + 4);
        const headers: http.IncomingHttpHeaders = {};
        for (const line of head.slice(1)) {
          const i = line.indexOf(':');
          headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
        }
        let echo;
        try {
          echo = headers['x-served-by'] ? JSON.parse(body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1)) : undefined;
        } catch {
          echo = undefined;
        }
        resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0), headers, body, echo, rawHead: all.slice(0, split) });
      });
      if (opts.tls) (stream as import('node:tls').TLSSocket).once('secureConnect', () => stream.write(text));
      else stream.write(text);
    });
  });
}
