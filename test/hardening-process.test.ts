import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execa } from 'execa';
import { mkdir, open, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ensureBuilt, startController, toYaml, type RunningController } from './support/controller.js';
import { simpleIngress } from './support/ingress.js';
import { tempWorkDir } from './support/nginx.js';
import { waitFor } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from './support/scenario.js';
import { templateCopy } from './support/templates.js';

jest.setTimeout(90000);

const CLI = resolve('dist/cli/main.js');
/** A render that hangs must fail the test, not hang it: killed after this long (a render of a few objects takes < 1 s). */
const RENDER_KILL_MS = 20000;

/** A sparse file one byte over the 64 MiB cap: no disk is written, its size is what counts. */
async function oversizeFile(path: string): Promise<void> {
  const f = await open(path, 'w');
  await f.truncate(64 * 1024 * 1024 + 1);
  await f.close();
}

describe('manifest paths that are not regular files, or too large (issue 11, item 15)', () => {
  let base: string;

  beforeAll(async () => {
    await ensureBuilt();
  });

  afterEach(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  async function manifestDir(): Promise<string> {
    base = await tempWorkDir('portico-special-');
    const dir = join(base, 'manifests');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '00-class.yaml'), toYaml([INGRESS_CLASS]));
    await writeFile(join(dir, 'app.yaml'), toYaml([simpleIngress('app', 'app.test', [['/', 'alpha']])]));
    return dir;
  }

  const render = (dir: string) =>
    execa('node', [CLI, 'render', '--manifests', dir, '--state-dir', join(base, 'state')], { reject: false, timeout: RENDER_KILL_MS, killSignal: 'SIGKILL' });

  test('render skips a FIFO and a symlink to /dev/zero with a warning naming each, and renders the rest', async () => {
    const dir = await manifestDir();
    await execa('mkfifo', [join(dir, 'pipe.yaml')]);
    await symlink('/dev/zero', join(dir, 'zero.yaml'));
    const r = await render(dir);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`warning: ${join(dir, 'pipe.yaml')}: not a regular file`);
    expect(r.stderr).toContain(`warning: ${join(dir, 'zero.yaml')}: not a regular file`);
    expect(r.stdout).toContain('app.test');
  });

  test('render refuses a file over 64 MiB with exit 2 naming the file', async () => {
    const dir = await manifestDir();
    await oversizeFile(join(dir, 'big.yaml'));
    const r = await render(dir);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'big.yaml')}: larger than 64 MiB`);
  });
});

describe('portico run --manifests DIR with special files (issue 11, item 15)', () => {
  let backends: Backends;
  let ctl: RunningController;

  beforeAll(async () => {
    backends = await startBackends('alpha', 'beta');
    const b = backends.by;
    ctl = await startController({
      files: {
        '00-class.yaml': [INGRESS_CLASS],
        '01-services.yaml': [...serviceFor('default', 'alpha', [b.alpha!]), ...serviceFor('default', 'beta', [b.beta!])],
        'app.yaml': [simpleIngress('app', 'app.test', [['/', 'alpha']])],
      },
    });
  });

  afterAll(async () => {
    const code = await ctl?.stop();
    await backends?.stopAll();
    expect(code).toBe(0);
  });

  test('a FIFO and a /dev/zero symlink added to the directory are skipped with a warning; later files still apply', async () => {
    await execa('mkfifo', [join(ctl.dir, 'pipe.yaml')]);
    await symlink('/dev/zero', join(ctl.dir, 'zero.yaml'));
    await waitFor(async () => ['pipe.yaml', 'zero.yaml'].every((f) => ctl.logs.some((l) => l.message === 'manifest path skipped: not a regular file' && l.file === join(ctl.dir, f))), 10000, 'skip warnings');
    await ctl.writeFile('later.yaml', [simpleIngress('later', 'later.test', [['/', 'beta']])]);
    await ctl.waitForBackend('later.test', '/', 'beta');
    await ctl.waitForBackend('app.test', '/', 'alpha');
    expect((await ctl.status('/healthz')).status).toBe(200);
  });

  test("a file grown past 64 MiB is a logged error naming it, and its previous objects keep serving", async () => {
    await oversizeFile(join(ctl.dir, 'app.yaml'));
    await waitFor(async () => ctl.logs.some((l) => l.level === 'error' && String(l.error).includes(`${join(ctl.dir, 'app.yaml')}: larger than 64 MiB`)), 10000, 'size error');
    expect((await ctl.get('app.test', '/')).echo?.service).toBe('alpha');
  });
});

describe('SIGHUP to portico run (issue 11, item 15)', () => {
  let backends: Backends;
  let ctl: RunningController;
  let templateDir: string;

  beforeAll(async () => {
    backends = await startBackends('alpha');
    templateDir = await templateCopy();
    ctl = await startController({
      templateDir,
      files: {
        '00-class.yaml': [INGRESS_CLASS],
        '01-services.yaml': serviceFor('default', 'alpha', [backends.by.alpha!]),
        'app.yaml': [simpleIngress('app', 'app.test', [['/', 'alpha']])],
      },
    });
  });

  afterAll(async () => {
    const code = await ctl?.stop();
    await backends?.stopAll();
    await rm(templateDir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  test('re-reads and reloads nginx, keeps running and serving, and still supervises nginx', async () => {
    const reloads = (await ctl.metric('portico_reload_successes_total'))!;
    ctl.child.kill('SIGHUP');
    await waitFor(async () => (await ctl.metric('portico_reload_successes_total'))! > reloads, 10000, 'a reload after SIGHUP');
    expect(ctl.logs.some((l) => l.signal === 'SIGHUP' && l.level === 'info')).toBe(true);
    expect(ctl.child.exitCode).toBeNull();
    expect((await ctl.get('app.test', '/')).echo?.service).toBe('alpha');

    // Still the supervisor: an nginx master killed now is started again.
    const master = Number((await readFile(join(ctl.stateDir, 'nginx.pid'), 'utf8')).trim());
    process.kill(master, 'SIGKILL');
    await waitFor(async () => {
      const now = Number((await readFile(join(ctl.stateDir, 'nginx.pid'), 'utf8').catch(() => '')).trim());
      return now > 0 && now !== master && (await ctl.get('app.test', '/').catch(() => undefined))?.echo?.service === 'alpha';
    }, 15000, 'nginx restarted and serving');
    expect((await ctl.metric('portico_nginx_restarts_total'))).toBeGreaterThanOrEqual(1);
  });
});

describe('a stopped nginx master under portico run (issue 11, item 15)', () => {
  let backends: Backends;
  let ctl: RunningController;
  let master = 0;

  beforeAll(async () => {
    backends = await startBackends('alpha', 'beta');
    const b = backends.by;
    ctl = await startController({
      files: {
        '00-class.yaml': [INGRESS_CLASS],
        '01-services.yaml': [...serviceFor('default', 'alpha', [b.alpha!]), ...serviceFor('default', 'beta', [b.beta!])],
        'app.yaml': [simpleIngress('app', 'app.test', [['/', 'alpha']])],
      },
    });
  });

  afterAll(async () => {
    if (master) process.kill(master, 'SIGCONT');
    const code = await ctl?.stop();
    await backends?.stopAll();
    expect(code).toBe(0);
  });

  test('/healthz fails and a change is not counted as reloaded until the master runs again; then the change is served', async () => {
    master = Number((await readFile(join(ctl.stateDir, 'nginx.pid'), 'utf8')).trim());
    const failures = (await ctl.metric('portico_reload_failures_total'))!;
    process.kill(master, 'SIGSTOP');
    await waitFor(async () => (await ctl.status('/healthz')).status === 503, 5000, '/healthz 503 while the master is stopped');

    await ctl.writeFile('app.yaml', [simpleIngress('app', 'app.test', [['/', 'beta']])]);
    await waitFor(async () => (await ctl.metric('portico_reload_failures_total'))! > failures, 10000, 'a failed reload counted');
    expect(ctl.logs.some((l) => l.kind === 'ReloadError' && String(l.error).includes(`pid ${master}`))).toBe(true);
    // The workers of the stopped master still serve the old config.
    expect((await ctl.get('app.test', '/')).echo?.service).toBe('alpha');
    expect((await ctl.status('/healthz')).status).toBe(503);

    process.kill(master, 'SIGCONT');
    master = 0;
    await ctl.waitForBackend('app.test', '/', 'beta', 200, 40000);
    await waitFor(async () => (await ctl.status('/healthz')).status === 200, 5000, '/healthz 200 again');
  });
});
