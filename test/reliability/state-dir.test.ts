// The state directory unwritable (read-only remount) or full when a change arrives: the last good
// config keeps serving, the error is logged and counted in /metrics, and once writing works again the
// change made meanwhile is applied without any further event.
//
// The state dir is a small tmpfs of its own (we run as root, so permission bits would not stop a
// write). Its logs/ is a symlink to a directory outside: Linux refuses to remount read-only a file
// system with files open for writing, and nginx keeps its logs open.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execa } from 'execa';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startController, type RunningController } from '../support/controller.js';
import { simpleIngress } from '../support/ingress.js';
import { loadFigures, reliabilityLine, startLoad } from '../support/load.js';
import { waitFor } from '../support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from '../support/scenario.js';

jest.setTimeout(90000);

describe('state directory unwritable or full at write time', () => {
  let backends: Backends;
  let ctl: RunningController | undefined;
  let base: string;
  let state: string;
  let mounted = false;
  let skipReason: string | undefined;

  beforeAll(async () => {
    backends = await startBackends('one', 'two');
    base = await mkdtemp(join(tmpdir(), 'portico-rel-statedir-'));
    await chmod(base, 0o755); // nginx's workers (nobody, when run as root) enter the state dir below it
    state = join(base, 'state');
    await mkdir(state);
    await mkdir(join(base, 'logs'));
    const m = await execa('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'portico-test-state', state], { reject: false, all: true });
    if (m.exitCode !== 0) {
      skipReason = `mount -t tmpfs is not permitted here (${(m.all ?? '').trim() || `exit ${m.exitCode}`}): state-dir fault tests SKIPPED`;
      return;
    }
    mounted = true;
    await symlink(join(base, 'logs'), join(state, 'logs'));
    ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'services.yaml': [...serviceFor('default', 'one', [backends.by.one!]), ...serviceFor('default', 'two', [backends.by.two!])],
        'stable.yaml': [simpleIngress('stable', 'stable.test', [['/', 'one']])],
      },
      // Later flags win: the tmpfs instead of the helper's own state dir.
      args: ['--state-dir', state],
    });
  });

  afterAll(async () => {
    if (ctl) expect(await ctl.stop()).toBe(0);
    if (mounted) {
      await execa('mount', ['-o', 'remount,rw', state], { reject: false });
      await execa('umount', [state], { reject: false });
    }
    await rm(base, { recursive: true, force: true });
    await backends?.stopAll();
  });

  const conf = () => readFile(join(state, 'nginx.conf'), 'utf8');
  const failedSyncs = async () => ((await ctl!.metric('portico_syncs_total', { result: 'failed' })) ?? 0) + ((await ctl!.metric('portico_reload_failures_total')) ?? 0);

  /** One fault: make the dir unwritable, change a file, check nothing moved, clear the fault, check it converges. */
  async function fault(name: string, inject: () => Promise<void>, clear: () => Promise<void>, host: string, errno: string) {
    const c = ctl!;
    const load = startLoad({ port: c.httpPort, targets: [{ host: 'stable.test', path: '/s', service: 'one' }], concurrency: 4 });
    const confBefore = await conf();
    const errorsBefore = await failedSyncs();
    const logsBefore = c.logs.length;
    await inject();
    // A change arrives while nothing can be written.
    await c.writeFile(`${host}.yaml`, [simpleIngress(host, `${host}.test`, [['/', 'two']])]);
    await waitFor(async () => (await failedSyncs()) > errorsBefore, 10000, `${name}: failure counted in /metrics`);
    const logged = c.logs.slice(logsBefore).find((l) => l.level === 'error' && String(l.error ?? '').includes(errno));
    expect(logged).toBeDefined();
    // Stays failing, keeps serving the last good config (file and nginx).
    await new Promise((r) => setTimeout(r, 1500));
    expect((await c.get(`${host}.test`, '/')).status).toBe(404);
    expect(await conf()).toBe(confBefore);
    expect((await c.debug('/debug/config')).body).toBe(confBefore);
    expect((await c.status('/healthz')).status).toBe(200);
    const errors = (await failedSyncs()) - errorsBefore;

    const clearedAt = Date.now();
    await clear();
    // No further event: the controller retries by itself.
    await c.waitForBackend(`${host}.test`, '/', 'two', 200, 30000).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${c.logs.slice(logsBefore).map((l) => JSON.stringify(l)).join('\n')}`);
    });
    const recoveryMs = Date.now() - clearedAt;
    const result = await load.stop();
    const leftovers = (await readdir(state)).filter((f) => f.startsWith('.nginx.conf'));
    reliabilityLine(`state dir ${name}`, { faultsInjected: 1, errorsCounted: errors, logged: logged !== undefined, recoveryMs, leftoverTempFiles: leftovers.length, ...loadFigures(result) });
    expect(leftovers).toEqual([]);
    expect(result.errors).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result.wrongBackend).toBe(0);
  }

  test('read-only (remount,ro): last good config serves, error logged and counted, change applied after remount,rw', async () => {
    if (skipReason) {
      process.stdout.write(`${skipReason}\n`);
      return;
    }
    await fault(
      'read-only',
      async () => void (await execa('mount', ['-o', 'remount,ro', state])),
      async () => void (await execa('mount', ['-o', 'remount,rw', state])),
      'during-ro',
      'EROFS',
    );
  });

  test('full (ENOSPC): last good config serves, error logged and counted, change applied once space is freed', async () => {
    if (skipReason) {
      process.stdout.write(`${skipReason}\n`);
      return;
    }
    const filler = join(state, 'filler');
    await fault(
      'full',
      async () => {
        const dd = await execa('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { reject: false, all: true });
        expect(dd.all).toMatch(/No space left on device/);
      },
      () => rm(filler, { force: true }),
      'during-full',
      'ENOSPC',
    );
  });
});
