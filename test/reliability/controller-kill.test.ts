// The controller killed with SIGKILL and started again on the same state dir, under load on many
import { processAlive } from '../../src/apply/nginx-process.js';
// routes: its nginx (own process group) survives and keeps serving the last config; the new controller
// adopts that master (pid file), reloads it with the same config, and never applies an empty or
// partial config. Every route answers at every moment.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startController, type RunningController } from '../support/controller.js';
import { request } from '../support/http.js';
import { simpleIngress } from '../support/ingress.js';
import { loadFigures, reliabilityLine, startLoad, type LoadTarget } from '../support/load.js';
import { waitFor } from '../support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from '../support/scenario.js';

jest.setTimeout(120000);

const INGRESSES = 60;
const CLI = join(process.cwd(), 'dist', 'cli', 'main.js');

/** Running, not a zombie (a killed orphan waits for init to reap it). */

async function masterPid(stateDir: string): Promise<number> {
  return Number((await readFile(join(stateDir, 'nginx.pid'), 'utf8')).trim());
}

/** The same `portico run` command line as the first controller: same manifests, state dir and ports. */
function restartArgs(ctl: RunningController): string[] {
  return [
    CLI, 'run', '--manifests', ctl.dir, '--state-dir', ctl.stateDir,
    '--http-port', String(ctl.httpPort), '--https-port', String(ctl.httpsPort),
    '--metrics-port', String(ctl.metricsPort), '--status-port', String(ctl.statusPort), '--debug-port', String(ctl.debugPort),
    '--debounce-ms', '50', '--min-reload-interval-ms', '200', '--log-level', 'debug',
  ];
}

describe('controller SIGKILL and restart', () => {
  let backends: Backends;
  let ctl: RunningController;

  beforeAll(async () => {
    backends = await startBackends('one', 'two', 'three');
    const b = backends.by;
    const names = ['one', 'two', 'three'];
    ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'services.yaml': names.flatMap((n) => serviceFor('default', n, [b[n]!])),
        // Many Ingresses: a partial config would miss some of them.
        'many.yaml': Array.from({ length: INGRESSES }, (_, i) => simpleIngress(`app-${i}`, `app-${i}.test`, [[`/p${i}`, names[i % 3]!]])),
      },
    });
  });

  afterAll(async () => {
    await ctl?.stop();
    await backends?.stopAll();
  });

  test(`${INGRESSES} Ingresses answer at every moment while the controller is SIGKILLed and restarted; nginx is adopted, not duplicated`, async () => {
    const names = ['one', 'two', 'three'];
    const targets: LoadTarget[] = Array.from({ length: INGRESSES }, (_, i) => ({ host: `app-${i}.test`, path: `/p${i}/x`, service: names[i % 3]! }));
    for (const t of targets) await ctl.waitForBackend(t.host, t.path, t.service!);
    const pidBefore = await masterPid(ctl.stateDir);
    const serverNames = (text: string) => [...text.matchAll(/server_name "([^"]+)"/g)].map((m) => m[1]!).sort();
    const namesBefore = serverNames(await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8'));
    expect(namesBefore).toHaveLength(INGRESSES + 1); // and the default server "_"

    const load = startLoad({ port: ctl.httpPort, targets, concurrency: 6 });
    await new Promise((r) => setTimeout(r, 1000));

    // SIGKILL: no handler runs, nothing is cleaned up.
    ctl.child.kill('SIGKILL');
    await ctl.exited;
    const killedAt = Date.now();
    expect(processAlive(pidBefore)).toBe(true);
    // Orphaned for a while: nginx serves alone.
    await new Promise((r) => setTimeout(r, 2000));
    const duringOrphan = load.snapshot();
    // A change while no controller runs: the next one starts from it.
    await ctl.writeFile('while-down.yaml', [simpleIngress('while-down', 'while-down.test', [['/', 'three']])]);

    const next = execa('node', restartArgs(ctl), { reject: false, buffer: false, stdin: 'ignore', env: { PATH: `${process.env.PATH}:/usr/sbin` } });
    let out = '';
    next.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    next.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(async () => (await request({ port: ctl.metricsPort, path: '/readyz' })).status === 200, 20000, 'restarted controller ready');
      const restartedAt = Date.now();
      await new Promise((r) => setTimeout(r, 2000));
      const result = await load.stop();

      // One nginx, the same master, the same config: adopted and reloaded, not replaced.
      const logs = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { message: string; pid?: number; servers?: number });
      expect(logs.some((l) => l.message === 'nginx from an earlier controller adopted; reloading it' && l.pid === pidBefore)).toBe(true);
      expect(logs.some((l) => l.message === 'nginx started')).toBe(false);
      expect(await masterPid(ctl.stateDir)).toBe(pidBefore);
      // Never an empty or partial config: every config the new controller applied has every server.
      const applied = logs.filter((l) => l.message === 'config applied');
      expect(applied.length).toBeGreaterThanOrEqual(1);
      for (const l of applied) expect(l.servers).toBeGreaterThanOrEqual(INGRESSES + 2); // + while-down + default
      expect(serverNames(await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8'))).toEqual([...namesBefore, 'while-down.test'].sort());
      expect((await ctl.get('while-down.test', '/')).echo?.service).toBe('three');
      const masters = (await execa('pgrep', ['-f', `nginx: master process .*${ctl.stateDir}/nginx.conf`], { reject: false })).stdout.split('\n').filter(Boolean);
      expect(masters).toEqual([String(pidBefore)]);

      reliabilityLine('controller SIGKILL + restart', {
        ingresses: INGRESSES,
        clients: 6,
        ...loadFigures(result),
        orphanedMs: restartedAt - killedAt,
        requestsWhileOrphaned: duringOrphan.sent,
        nginxMasters: masters.length,
        adopted: true,
      });
      if (result.failures.length) process.stdout.write(`first failures: ${JSON.stringify(result.failures)}\n`);
      expect(result.errors).toBe(0);
      expect(result.non2xx).toBe(0);
      expect(result.wrongBackend).toBe(0);
      expect(result.sent).toBeGreaterThan(1000);

      // The new controller drives the adopted nginx: a change is applied...
      await ctl.writeFile('extra.yaml', [simpleIngress('extra', 'extra.test', [['/', 'two']])]);
      await waitFor(async () => (await ctl.get('extra.test', '/')).echo?.service === 'two', 10000, 'change applied through the adopted nginx');
      // ...the adopted master is supervised: killed, it is replaced by a child of the new controller...
      process.kill(pidBefore, 'SIGKILL');
      await waitFor(async () => (await request({ port: ctl.metricsPort, path: '/metrics' })).body.includes('portico_nginx_restarts_total 1'), 10000, 'restart counted');
      let newPid = 0;
      await waitFor(async () => {
        newPid = await masterPid(ctl.stateDir);
        return newPid !== pidBefore && processAlive(newPid);
      }, 10000, 'new master');
      for (const t of targets) await ctl.waitForBackend(t.host, t.path, t.service!, 200, 10000);
      // ...and SIGTERM quits it: exit 0, nginx gone.
      next.kill('SIGTERM');
      expect((await next).exitCode).toBe(0);
      expect(processAlive(pidBefore)).toBe(false);
      expect(processAlive(newPid)).toBe(false);
      await expect(ctl.get('app-0.test', '/p0')).rejects.toThrow();
    } finally {
      next.kill('SIGKILL');
      await next;
      try {
        process.kill(-pidBefore, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
});

describe('a pid file that is not our nginx is never adopted', () => {
  test('controller and nginx both killed, nginx.pid names a live non-nginx process: a new nginx is started, that process is left alone', async () => {
    const backends = await startBackends('one');
    const ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'services.yaml': serviceFor('default', 'one', [backends.by.one!]),
        'app.yaml': [simpleIngress('app', 'app.test', [['/', 'one']])],
      },
    });
    let next: ReturnType<typeof execa> | undefined;
    try {
      await ctl.waitForBackend('app.test', '/', 'one');
      const oldMaster = await masterPid(ctl.stateDir);
      // As the death of a Pod: the controller and its nginx are gone.
      ctl.child.kill('SIGKILL');
      await ctl.exited;
      process.kill(-oldMaster, 'SIGKILL');
      await waitFor(async () => !processAlive(oldMaster), 5000, 'old nginx gone');
      // The pid was reused by another process (here: the echo backend, which SIGHUP would end).
      await writeFile(join(ctl.stateDir, 'nginx.pid'), `${backends.by.one!.pid}\n`);

      next = execa('node', restartArgs(ctl), { reject: false, buffer: false, stdin: 'ignore', env: { PATH: `${process.env.PATH}:/usr/sbin` } });
      let out = '';
      next.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      await waitFor(async () => (await request({ port: ctl.metricsPort, path: '/readyz' })).status === 200, 20000, 'restarted controller ready');
      await ctl.waitForBackend('app.test', '/', 'one');
      expect(out).toContain('"message":"nginx started"');
      expect(out).not.toContain('adopted');
      expect(processAlive(backends.by.one!.pid)).toBe(true);
      const newMaster = await masterPid(ctl.stateDir);
      expect(newMaster).not.toBe(backends.by.one!.pid);
      next.kill('SIGTERM');
      expect((await next).exitCode).toBe(0);
      expect(processAlive(newMaster)).toBe(false);
      expect(processAlive(backends.by.one!.pid)).toBe(true);
    } finally {
      next?.kill('SIGKILL');
      await next;
      await ctl.stop();
      await backends.stopAll();
    }
  });
});
