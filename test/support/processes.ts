import { execa, type ResultPromise } from 'execa';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Ports this process handed out: the kernel may offer a port again once it is closed. */
const givenPorts = new Set<number>();

/**
 * A port nothing listens on, never one given before in this process: two calls in a row could get the
 * same port back (its probe socket was closed), and a config listening twice on it fails nginx -t.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    if (givenPorts.has(port)) continue;
    givenPorts.add(port);
    return port;
  }
}

export interface Backend {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** A TLS echo backend: PEM files, and optionally the CAs whose client certificates it requires and node's TLS limits. */
export interface EchoTls {
  certFile: string;
  keyFile: string;
  /** Only clients with a certificate signed by these CAs complete the handshake. */
  caFile?: string;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list for TLS 1.2. */
  ciphers?: string;
}

/**
 * Starts test/support/echo-server.mjs as its own process and waits until it listens; with `tls` (PEM file
 * paths) it answers https.
 */
export async function startEchoBackend(name: string, host = '127.0.0.1', tls?: EchoTls): Promise<Backend> {
  const tlsArgs = tls ? [tls.certFile, tls.keyFile, JSON.stringify({ caFile: tls.caFile, minVersion: tls.minVersion, maxVersion: tls.maxVersion, ciphers: tls.ciphers })] : [];
  return startBackendProcess(name, [join(here, 'echo-server.mjs'), name, '0', host, ...tlsArgs]);
}

/** A FastCGI responder (test/support/fastcgi-server.mjs): answers with the parameters and body it received, as JSON. */
export async function startFastcgiBackend(name: string, host = '127.0.0.1'): Promise<Backend> {
  return startBackendProcess(name, [join(here, 'fastcgi-server.mjs'), name, '0', host]);
}

async function startBackendProcess(name: string, args: string[]): Promise<Backend> {
  const child = execa('node', args, { reject: false, buffer: false });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend ${name} did not start`)), 10000);
    child.stdout!.on('data', (chunk: Buffer) => {
      const m = /listening (\d+)/.exec(chunk.toString());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', () => reject(new Error(`backend ${name} exited`)));
  });
  return {
    name,
    port,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await child;
    },
  };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 10000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export type ChildProcess = ResultPromise;
