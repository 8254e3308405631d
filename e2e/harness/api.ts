// Minimal HTTPS requests to the e2e API server as the admin (client certificate), for the few
// calls the harness makes itself: /readyz and TokenRequest.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

export interface AdminCredentials {
  server: string; // https://127.0.0.1:PORT
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface ApiResponse {
  status: number;
  body: string;
}

export function apiRequest(
  creds: AdminCredentials,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<ApiResponse> {
  const url = new URL(path, creds.server);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: readFileSync(creds.caFile),
        cert: readFileSync(creds.certFile),
        key: readFileSync(creds.keyFile),
        agent: false,
        timeout: timeoutMs,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
