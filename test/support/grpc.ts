import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Backend } from './processes.js';

export interface GrpcBackend extends Backend {
  /** What each call carried: its :path, whether it came over TLS and the client certificate's CN (if any). */
  seen: Array<{ path: string; tls: boolean; clientCertificate?: string | null }>;
}

/**
 * A gRPC-shaped HTTP/2 backend (no gRPC library): one message back (its name) and grpc-status 0 trailers.
 * With `tls` it speaks h2 over TLS; with `tls.ca` it requires a client certificate signed by those CAs.
 */
export function startGrpcBackend(name: string, tls?: { cert: string; key: string; ca?: string }): Promise<GrpcBackend> {
  const seen: GrpcBackend['seen'] = [];
  const clientAuth = tls?.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {};
  const server = tls ? http2.createSecureServer({ cert: tls.cert, key: tls.key, ...clientAuth }) : http2.createServer();
  server.on('stream', (stream, headers) => {
    stream.resume();
    stream.on('end', () => {
      const socket = stream.session?.socket as TLSSocket | undefined;
      const cn = tls?.ca ? socket?.getPeerCertificate().subject?.CN : undefined;
      const peer = tls?.ca ? { clientCertificate: cn === undefined ? null : String(cn) } : {};
      seen.push({ path: String(headers[':path']), tls: stream.session?.encrypted === true, ...peer });
      const message = Buffer.from(name);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({ name, port: (server.address() as AddressInfo).port, pid: process.pid, seen, stop: () => new Promise<void>((r) => server.close(() => r())) }),
    );
  });
}

/** One unary gRPC-shaped call through nginx's https listener (HTTP/2, as gRPC clients speak). */
export async function grpcCall(port: number, host: string, path: string): Promise<{ status: number; message: string; grpcStatus: unknown }> {
  const client = http2.connect(`https://127.0.0.1:${port}`, { servername: host, rejectUnauthorized: false });
  try {
    return await new Promise((resolve, reject) => {
      const req = client.request({ ':method': 'POST', ':path': path, ':authority': host, 'content-type': 'application/grpc', te: 'trailers' });
      let status = 0;
      let grpcStatus: unknown;
      const chunks: Buffer[] = [];
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('trailers', (t) => (grpcStatus = t['grpc-status']));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve({ status, message: Buffer.concat(chunks).subarray(5).toString('utf8'), grpcStatus }));
      req.on('error', reject);
      req.end(Buffer.from([0, 0, 0, 0, 4, ...Buffer.from('ping')]));
    });
  } finally {
    client.close();
  }
}
