import { execa, type ResultPromise } from 'execa';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './processes.js';

export const NGINX = process.env.NGINX_BIN ?? 'nginx';

/**
 * An executable that runs `before` (sh; the arguments are in $*) and then the real nginx with the same
 * arguments: a slow config check, a slow start, a record of how it was run.
 */
export async function nginxWrapper(before: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'portico-nginx-wrapper-')), 'nginx');
  await writeFile(path, `#!/bin/sh\n${before}\nexec ${NGINX} "$@"\n`, { mode: 0o755 });
  return path;
}

export async function tempStateDir(prefix = 'portico-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * A temporary folder to hold manifests and state dirs: mkdtemp makes it 0700, but nginx's workers (nobody,
 * when the tests run as root) must enter a state dir below it, and Portico refuses a state dir they cannot.
 */
export async function tempWorkDir(prefix = 'portico-work-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

/** `nginx -t` on a config; resolves with nginx's output, rejects with it when the test fails. */
export async function nginxTest(stateDir: string, confPath: string): Promise<string> {
  const r = await execa(NGINX, ['-t', '-p', stateDir, '-c', confPath, '-e', join(stateDir, 'logs/error.log')], { reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`nginx -t failed:\n${r.all}`);
  return r.all ?? '';
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export interface RunningNginx {
  stateDir: string;
  confPath: string;
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs a real nginx in the foreground on a config, exactly as `nginx -p STATE -c FILE` would. */
export async function startNginx(stateDir: string, confPath: string, port: number): Promise<RunningNginx> {
  await nginxTest(stateDir, confPath);
  const child: ResultPromise = execa(NGINX, ['-p', stateDir, '-c', confPath, '-e', join(stateDir, 'logs/error.log'), '-g', 'daemon off;'], {
    reject: false,
    all: true,
  });
  await waitFor(() => portOpen(port), 10000, `nginx on port ${port}`);
  return {
    stateDir,
    confPath,
    reload: async () => {
      await execa(NGINX, ['-p', stateDir, '-c', confPath, '-e', join(stateDir, 'logs/error.log'), '-s', 'reload']);
      await new Promise((r) => setTimeout(r, 300));
    },
    stop: async () => {
      child.kill('SIGQUIT');
      await child;
    },
  };
}

export async function writeConf(stateDir: string, text: string): Promise<string> {
  const path = join(stateDir, 'nginx.conf');
  await writeFile(path, text);
  return path;
}
