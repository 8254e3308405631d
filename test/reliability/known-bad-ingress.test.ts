// An Ingress nginx refuses, in a real `portico run`: found once, then left out at one nginx -t per sync
// (issue 11, item 2); the Ingress at fault is the one left out, not the one it attaches to (item 8); the
// reason is the same at every sync and names the place in the config, not a temp file (item 16); and
// /healthz follows the sync's progress, not its length (item 2).
//
// The validators refuse what nginx is known to refuse, so the refused input comes from an nginx wrapper:
// its `nginx -t` fails, as nginx does, on any config containing "refuse-me", naming the file and line.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkConfigText, ConfigCheckError } from '../../src/apply/apply.js';
import { checkReason } from '../../src/reconcile/check-reason.js';
import type { KubeObject } from '../../src/store/types.js';
import { startController, type RunningController } from '../support/controller.js';
import { simpleIngress } from '../support/ingress.js';
import { NGINX, nginxWrapper, tempStateDir } from '../support/nginx.js';
import { waitFor } from '../support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from '../support/scenario.js';

jest.setTimeout(120000);

const MARKER = 'refuse-me';

/** `before` runs first; then nginx -t refuses a config containing MARKER with nginx's own wording. */
function refusingNginx(before = ''): Promise<string> {
  return nginxWrapper(`${before}
conf=""; prev=""
for a in "$@"; do [ "$prev" = "-c" ] && conf="$a"; prev="$a"; done
case " $* " in *" -t "*)
  line=$(grep -n '${MARKER}' "$conf" | grep -v '^[0-9]*:[[:space:]]*#' | head -1 | cut -d: -f1)
  if [ -n "$line" ]; then echo "nginx: [emerg] invalid value \\"${MARKER}\\" in $conf:$line" >&2; exit 1; fi;;
esac`);
}

const rejectionsOf = (ctl: RunningController, name: string) => ctl.logs.filter((l) => String(l.message).startsWith(`rejected Ingress default/${name}`));
const applied = (ctl: RunningController) => ctl.logs.filter((l) => l.message === 'config applied');

describe('a known bad Ingress among good ones (portico run, real nginx)', () => {
  let backends: Backends;
  let ctl: RunningController;
  let nginx: string;

  beforeAll(async () => {
    backends = await startBackends('alpha', 'beta');
    nginx = await refusingNginx();
    const b = backends.by;
    const goods = Array.from({ length: 6 }, (_, i) => simpleIngress(`good${i}`, `good${i}.test`, [['/', 'alpha']]));
    ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'services.yaml': [...serviceFor('default', 'alpha', [b.alpha!]), ...serviceFor('default', 'beta', [b.beta!])],
        'goods.yaml': goods,
        'bad.yaml': [simpleIngress('bad', 'bad.test', [['/ok', 'alpha'], [`/${MARKER}`, 'beta']])],
      },
      args: ['--nginx-binary', nginx],
    });
  });

  afterAll(async () => {
    expect(await ctl?.stop()).toBe(0);
    await backends?.stopAll();
    await rm(dirname(nginx), { recursive: true, force: true });
  });

  test('the next syncs cost one nginx -t each, report the same reason once, and the good Ingresses serve', async () => {
    for (let i = 0; i < 6; i++) await ctl.waitForBackend(`good${i}.test`, '/', 'alpha');
    expect((await ctl.get('bad.test', '/ok')).status).toBe(404);
    await waitFor(async () => rejectionsOf(ctl, 'bad').length > 0, 5000, 'rejection logged');
    const first = rejectionsOf(ctl, 'bad')[0]!;
    expect(first).toMatchObject({ level: 'warn', excluded: true, field: 'spec.rules[0].http.paths[1].path' });
    // nginx's message, the place in the config, no temp file.
    expect(String(first.reason)).toContain(`invalid value "${MARKER}"`);
    expect(String(first.reason)).toContain('server "bad.test"');
    expect(String(first.reason)).toMatch(new RegExp(`location [=^~ ]*"/${MARKER}"`));
    expect(String(first.message)).not.toMatch(/\.nginx\.conf\.|check-\d|\/tmp\//);
    const firstSync = applied(ctl)[0]!;
    expect(firstSync.checks).toBeGreaterThan(3);

    for (const round of [1, 2]) {
      const checksBefore = (await ctl.metric('portico_nginx_checks_total'))!;
      const appliedBefore = applied(ctl).length;
      await ctl.writeFile(`new${round}.yaml`, [simpleIngress(`new${round}`, `new${round}.test`, [['/', 'beta']])]);
      await ctl.waitForBackend(`new${round}.test`, '/', 'beta');
      await waitFor(async () => applied(ctl).length > appliedBefore, 5000, 'config applied');
      expect(applied(ctl)[appliedBefore]!.checks).toBe(1);
      expect((await ctl.metric('portico_nginx_checks_total'))! - checksBefore).toBe(1);
    }
    // Still left out, and not reported again: the reason did not change.
    expect((await ctl.get('bad.test', '/ok')).status).toBe(404);
    expect(rejectionsOf(ctl, 'bad')).toHaveLength(1);
    for (let i = 0; i < 6; i++) expect((await ctl.get(`good${i}.test`, '/x')).echo?.service).toBe('alpha');

    // Fixed: back in at the next sync.
    await ctl.writeFile('bad.yaml', [simpleIngress('bad', 'bad.test', [['/ok', 'alpha'], ['/fixed', 'beta']])]);
    await ctl.waitForBackend('bad.test', '/ok', 'alpha');
    expect((await ctl.get('bad.test', '/fixed')).echo?.service).toBe('beta');
  });

  test('an older canary with a pattern nginx refuses is left out; the younger main Ingress keeps serving', async () => {
    const canary = simpleIngress('canary', 'main.test', [['/', 'beta']], {
      created: '2025-06-01T00:00:00Z',
      annotations: {
        'nginx.ingress.kubernetes.io/canary': 'true',
        'nginx.ingress.kubernetes.io/canary-by-header': 'X-Version',
        'nginx.ingress.kubernetes.io/canary-by-header-pattern': `^${MARKER}$`,
      },
    });
    // One file: written apart, a sync can see the canary alone and reject it for having no main Ingress.
    await ctl.writeFile('main.yaml', [canary, simpleIngress('main', 'main.test', [['/', 'alpha']], { created: '2026-06-01T00:00:00Z' })]);
    await ctl.waitForBackend('main.test', '/', 'alpha').catch((err: Error) => {
      throw new Error(`${err.message}\n${ctl.logs.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`);
    });
    await waitFor(async () => rejectionsOf(ctl, 'canary').length > 0, 10000, 'canary rejected');
    expect(rejectionsOf(ctl, 'canary')[0]).toMatchObject({ excluded: true });
    expect(String(rejectionsOf(ctl, 'canary')[0]!.reason)).toContain('together with default/main');
    expect(rejectionsOf(ctl, 'main')).toEqual([]);
    // The canary's header goes to the main backend: the canary is not in the config.
    expect((await ctl.get('main.test', '/', { headers: { 'X-Version': MARKER } })).echo?.service).toBe('alpha');
    expect((await ctl.get('main.test', '/y')).echo?.service).toBe('alpha');
  });
});

test('/healthz stays 200 through a long sync that keeps completing nginx -t runs, and fails when a step hangs', async () => {
  const backends = await startBackends('alpha');
  const wedge = join(await import('node:os').then((os) => os.tmpdir()), `portico-wedge-${process.pid}-${Date.now()}`);
  // Every nginx -t takes 1 s; while the wedge file exists, one takes 12 s.
  const nginx = await refusingNginx(`case " $* " in *" -t "*) if [ -e ${wedge} ]; then sleep 12; else sleep 1; fi;; esac`);
  const goods = Array.from({ length: 6 }, (_, i) => simpleIngress(`good${i}`, `good${i}.test`, [['/', 'alpha']]));
  const files: Record<string, KubeObject[]> = {
    'class.yaml': [INGRESS_CLASS],
    'services.yaml': serviceFor('default', 'alpha', [backends.by.alpha!]),
    'goods.yaml': goods,
    'bad.yaml': [simpleIngress('bad', 'bad.test', [[`/${MARKER}`, 'alpha']])],
  };
  const stallMs = 4000;
  const ctl = await startController({ files, args: ['--nginx-binary', nginx, '--healthz-stall-ms', String(stallMs)], noWaitReady: true });
  try {
    // The first sync bisects: more checks of 1 s each than the stall limit has seconds.
    const probes: number[] = [];
    await waitFor(
      async () => {
        probes.push((await ctl.status('/healthz')).status);
        return (await ctl.status('/readyz')).status === 200;
      },
      60000,
      'ready',
    );
    await waitFor(async () => applied(ctl).length > 0, 5000, 'config applied logged');
    expect(applied(ctl)[0]!.checks).toBeGreaterThan(stallMs / 1000 + 1);
    expect(probes.length).toBeGreaterThan(10);
    expect(probes.filter((s) => s !== 200)).toEqual([]);
    await ctl.waitForBackend('good0.test', '/', 'alpha');

    // A check that hangs past the limit: /healthz fails, names why, and recovers once the step completes.
    await writeFile(wedge, '');
    await ctl.writeFile('more.yaml', [simpleIngress('more', 'more.test', [['/', 'alpha']])]);
    let reply = await ctl.status('/healthz');
    await waitFor(async () => (reply = await ctl.status('/healthz')).status === 503, 11000, '/healthz 503 while nginx -t hangs');
    expect(reply.body).toMatch(/completed no step for \d+s/);
    await rm(wedge, { force: true });
    await waitFor(async () => (await ctl.status('/healthz')).status === 200, 30000, '/healthz 200 again');
    await ctl.waitForBackend('more.test', '/', 'alpha', 200, 30000);
  } finally {
    await rm(wedge, { force: true });
    expect(await ctl.stop()).toBe(0);
    await backends.stopAll();
    await rm(dirname(nginx), { recursive: true, force: true });
  }
});

test('real nginx -t: the same refused config gives the same reason at every check, naming the place and no temp file', async () => {
  const stateDir = await tempStateDir('portico-reason-');
  await mkdir(join(stateDir, 'logs'));
  const text = 'events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        server_name "odd.test";\n        location = "/x" {\n            proxy_bufferz 8 4k;\n        }\n    }\n}\n';
  const reasonOf = async () => {
    const err = await checkConfigText({ nginxBinary: NGINX, stateDir }, text).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigCheckError);
    const e = err as ConfigCheckError;
    expect(e.problems[0]).toMatchObject({ level: 'emerg', line: 7 });
    return { message: e.message, reason: checkReason(e.problems, text, e.message) };
  };
  try {
    const first = await reasonOf();
    const second = await reasonOf();
    expect(second).toEqual(first);
    expect(first.message).toBe('nginx -t failed: [emerg] unknown directive "proxy_bufferz"');
    expect(first.reason).toBe('[emerg] unknown directive "proxy_bufferz" (server "odd.test", location = "/x", directive "proxy_bufferz")');
    expect(JSON.stringify(first)).not.toContain(stateDir);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
});
