import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface AuthService {
  port: number;
  stop(): Promise<void>;
}

/** Starts test/support/auth-server.mjs (an external auth service) as its own process. */
export function startAuthService(): Promise<AuthService> {
  return startScript('auth-server.mjs');
}

/** Starts test/support/dns-server.mjs: A records 127.0.0.1 for *.portico.test, NXDOMAIN otherwise (UDP). */
export function startDnsServer(): Promise<AuthService> {
  return startScript('dns-server.mjs');
}

async function startScript(script: string): Promise<AuthService> {
  const child = execa('node', [join(here, script), '0'], { reject: false, buffer: false });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 10000);
    child.stdout!.on('data', (chunk: Buffer) => {
      const m = /listening (\d+)/.exec(chunk.toString());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', () => reject(new Error(`${script} exited`)));
  });
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await child;
    },
  };
}

/** An htpasswd `{SHA}` hash, which nginx accepts. */
export function shaHash(password: string): string {
  return `{SHA}${createHash('sha1').update(password).digest('base64')}`;
}

/** An htpasswd apr1 (MD5) hash, made by openssl as an operator would. */
export async function apr1Hash(password: string): Promise<string> {
  const r = await execa('openssl', ['passwd', '-apr1', password]);
  return r.stdout.trim();
}

export function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}
