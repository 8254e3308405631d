import { describe, expect, jest, test } from '@jest/globals';
import { execa } from 'execa';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from './support/controller.js';
import { freePort } from './support/processes.js';

jest.setTimeout(60000);

const cli = (args: string[]) =>
  execa('node', [join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'dist', 'cli', 'main.js'), 'run', ...args], {
    reject: false,
    timeout: 30000,
    env: { PATH: `${process.env.PATH}:/usr/sbin` },
  });

describe('portico run: flags and failures', () => {
  test('--help lists the run flags next to the render ones', async () => {
    await ensureBuilt();
    const r = await cli(['--help']);
    expect(r.exitCode).toBe(0);
    for (const flag of ['--manifests', '--state-dir', '--http-port', '--kubeconfig', '--watch-namespace', '--publish-service', '--publish-status-address', '--election-id', '--metrics-port', '--debounce-ms', '--min-reload-interval-ms', '--log-format', '--log-level', '--nginx-binary', '--template-dir']) {
      expect(r.stdout).toContain(flag);
    }
  });

  test('bad flag values are usage errors (exit 2)', async () => {
    await ensureBuilt();
    for (const args of [['--log-format', 'xml'], ['--metrics-port', '99999'], ['--publish-status-address', 'a b'], ['--debounce-ms', '-1'], ['--publish-service', 'nope']]) {
      const r = await cli(args);
      expect({ args, code: r.exitCode }).toEqual({ args, code: 2 });
    }
  });

  test('a manifest path that does not exist: exit 2 with the path named', async () => {
    await ensureBuilt();
    const dir = await mkdtemp(join(tmpdir(), 'portico-run-cli-'));
    await chmod(dir, 0o755); // nginx's workers (nobody, when run as root) enter the state dir below it
    const r = await cli(['--manifests', join(dir, 'missing'), '--state-dir', join(dir, 'state'), '--http-port', String(await freePort()), '--https-port', String(await freePort()), '--metrics-port', '0', '--status-port', '0', '--log-format', 'text']);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toMatch(/ERROR cannot read manifests error=".*missing: cannot read/);
    await rm(dir, { recursive: true, force: true });
  });

  test('nginx that cannot bind its port: restarted with backoff, then exit 1', async () => {
    await ensureBuilt();
    const dir = await mkdtemp(join(tmpdir(), 'portico-run-cli-'));
    await chmod(dir, 0o755); // nginx's workers (nobody, when run as root) enter the state dir below it
    const busy = createServer();
    const port = await new Promise<number>((r) => busy.listen(0, '127.0.0.1', () => r((busy.address() as { port: number }).port)));
    // nginx listens on *:port; the port is taken on 127.0.0.1 → bind fails.
    const r = await cli(['--manifests', dir, '--state-dir', join(dir, 'state'), '--http-port', String(port), '--https-port', String(await freePort()), '--metrics-port', '0', '--status-port', '0']);
    busy.close();
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { message: string });
    expect(lines.filter((l) => l.message === 'nginx exited unexpectedly').length).toBe(5);
    expect(lines.some((l) => l.message === 'nginx cannot be kept up; exiting')).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });
});
