// The container image (npm run image:build) run as a pod runs it: its own entrypoint (tini → portico run)
// as uid 10001, a read-only root file system, no capabilities, the state directory as the only writable
// path, the manifest directory mounted read-only. Real requests reach nginx inside it on 127.0.0.1 and are
// answered by echo backends on 127.0.0.1 (the container shares the host's loopback; nothing else is
// reached). Run by `npm run image:test` (which builds the image first) and by scripts/test.sh.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { luaModules } from '../../src/model/dynamic-endpoints.js';
import { metricValue } from '../../src/report/metrics.js';
import type { KubeObject } from '../../src/store/types.js';
import { startAuthService, type AuthService } from '../support/auth.js';
import { runContainer, type RunningContainer } from '../support/container.js';
import { toYaml } from '../support/controller.js';
import { request, type Reply } from '../support/http.js';
import { simpleIngress } from '../support/ingress.js';
import { tempWorkDir } from '../support/nginx.js';
import { freePort, waitFor } from '../support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from '../support/scenario.js';

jest.setTimeout(120000);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const P = 'nginx.ingress.kubernetes.io';
const STATE = '/var/lib/portico';
const MANIFESTS = '/etc/portico/manifests';
const MODULES_DIR = '/usr/lib/nginx/modules';
const VERSION = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** The nginx modules scripts/install-deps.sh installs for the features: its `[ -e .../X.so ] || need+=(...)` lines. */
async function installDepsModules(): Promise<string[]> {
  const script = await readFile(join(root, 'scripts', 'install-deps.sh'), 'utf8');
  return [...script.matchAll(/\[ -e \/usr\/lib\/nginx\/modules\/([\w.-]+\.so) \] \|\| need\+=/g)].map((m) => m[1]!).sort();
}

describe('the image: its entrypoint as uid 10001 on a read-only root file system', () => {
  const image = process.env.PORTICO_IMAGE ?? `portico:${VERSION}`;
  let backends: Backends;
  let auth: AuthService;
  let base: string;
  let manifestDir: string;
  let stateDir: string;
  let ports: { http: number; https: number; metrics: number; status: number; debug: number };
  let ctr: RunningContainer;

  const get = (host: string, path: string, headers: Record<string, string> = {}) => request({ port: ports.http, host, path, headers });
  const metric = async (name: string) => metricValue((await request({ port: ports.metrics, path: '/metrics' })).body, name);
  const writeManifest = (name: string, objects: KubeObject[]) => writeFile(join(manifestDir, name), toYaml(objects), { mode: 0o644 });
  const waitForBackend = async (host: string, path: string, service: string): Promise<Reply> => {
    let last: Reply | undefined;
    await waitFor(async () => {
      last = await get(host, path);
      return last.status === 200 && last.echo?.service === service;
    }, 20000, `${host}${path} → ${service} (last: ${last?.status} ${last?.echo?.service ?? last?.body.slice(0, 80)})`);
    return last!;
  };

  beforeAll(async () => {
    const found = await execa('buildah', ['inspect', '--type', 'image', '--format', '{{.FromImageID}}', image], { reject: false });
    if (found.exitCode !== 0) throw new Error(`image ${image} is not in buildah's storage: run npm run image:build (npm run image:test does)\n${found.stderr}`);

    backends = await startBackends('alpha', 'beta');
    auth = await startAuthService();
    base = await tempWorkDir('portico-image-');
    await chmod(base, 0o755);
    manifestDir = join(base, 'manifests');
    stateDir = join(base, 'state');
    await mkdir(manifestDir, { recursive: true });
    await chmod(manifestDir, 0o755);
    // An emptyDir of the pod: owned by the image's user (fsGroup 10001 in manifests/base), nobody else's.
    await mkdir(stateDir, { mode: 0o700 });
    await chown(stateDir, 10001, 10001);

    const b = backends.by;
    await writeManifest('00-class.yaml', [INGRESS_CLASS]);
    await writeManifest('10-app.yaml', [...serviceFor('default', 'app', [b.alpha!]), simpleIngress('app', 'app.test', [['/', 'app']])]);
    // auth-signin's rd= is escaped with the set-misc module.
    await writeManifest('20-private.yaml', [
      simpleIngress('private', 'private.test', [['/', 'app']], {
        annotations: { [`${P}/auth-url`]: `http://127.0.0.1:${auth.port}/auth`, [`${P}/auth-signin`]: 'http://login.test/start' },
      }),
    ]);

    // The WAF: Debian's ModSecurity module and Core Rule Set in the image, blocking (SecRuleEngine On).
    await writeManifest('30-waf.yaml', [
      simpleIngress('waf', 'waf.test', [['/', 'app']], {
        annotations: { [`${P}/enable-modsecurity`]: 'true', [`${P}/enable-owasp-core-rules`]: 'true', [`${P}/modsecurity-snippet`]: 'SecRuleEngine On' },
      }),
    ]);

    ports = { http: await freePort(), https: await freePort(), metrics: await freePort(), status: await freePort(), debug: await freePort() };
    ctr = await runContainer({
      image,
      uid: 10001,
      gid: 10001,
      // The image's CMD with the manifest directory and this test's ports; --dynamic-endpoints loads the Lua module.
      cmd: [
        'run', '--state-dir', STATE, '--manifests', MANIFESTS,
        '--http-port', String(ports.http), '--https-port', String(ports.https),
        '--metrics-port', String(ports.metrics), '--status-port', String(ports.status), '--debug-port', String(ports.debug),
        '--dynamic-endpoints', '--debounce-ms', '50', '--min-reload-interval-ms', '200',
      ],
      mounts: [
        { source: stateDir, destination: STATE, readonly: false },
        { source: manifestDir, destination: MANIFESTS, readonly: true },
      ],
    });
    try {
      await waitFor(async () => (await request({ port: ports.metrics, path: '/readyz' })).status === 200, 60000, 'portico in the image ready');
    } catch (err) {
      const code = await ctr.stop();
      throw new Error(`${(err as Error).message} (exit ${String(code)})\nstdout:\n${ctr.lines.slice(-20).join('\n')}\nstderr:\n${ctr.stderr()}`);
    }
  });

  afterAll(async () => {
    const code = await ctr?.stop();
    await auth?.stop();
    await backends?.stopAll();
    if (base) await rm(base, { recursive: true, force: true });
    // SIGTERM to tini reaches portico, which stops nginx and exits 0.
    if (ctr) {
      if (code !== 0) console.error(`container exited ${String(code)}:\n${ctr.lines.slice(-20).join('\n')}\n${ctr.stderr()}`);
      expect(code).toBe(0);
    }
  });

  test('the image says uid 10001 and starts tini → portico run', () => {
    expect(ctr.image.User).toBe('10001:10001');
    expect(ctr.image.Entrypoint).toEqual(['tini', '--', 'node', '/app/dist/cli/main.js']);
  });

  test('an Ingress from the mounted directory is served by the backend, without a Server header', async () => {
    const r = await waitForBackend('app.test', '/hello?x=1', 'alpha');
    expect(r.echo?.path).toBe('/hello?x=1');
    expect(r.echo?.host).toBe('app.test');
    // server-tokens "false" (the default) clears the header with the headers-more module.
    expect(r.headers.server).toBeUndefined();
    expect((await get('nothing.test', '/')).status).toBe(404);
  });

  test('auth-signin sends a client that is not signed in to the sign-in page with rd= escaped (set-misc)', async () => {
    await waitFor(async () => (await get('private.test', '/')).status === 302, 20000, 'private.test redirects');
    const r = await get('private.test', '/a?b=c&d=e');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe(`http://login.test/start?rd=http://private.test${encodeURIComponent('/a?b=c&d=e')}`);
    const signedIn = await get('private.test', '/a', { authorization: 'Bearer good' });
    expect(signedIn.status).toBe(200);
    expect(signedIn.echo?.service).toBe('alpha');
  });

  test('a changed EndpointSlice in the read-only mount is served with no reload (the Lua module)', async () => {
    await waitForBackend('app.test', '/', 'alpha');
    const reloads = await metric('portico_reload_successes_total');
    const updates = (await metric('portico_endpoint_updates_total'))!;
    await writeManifest('10-app.yaml', [...serviceFor('default', 'app', [backends.by.beta!]), simpleIngress('app', 'app.test', [['/', 'app']])]);
    await waitForBackend('app.test', '/', 'beta');
    expect(await metric('portico_reload_successes_total')).toBe(reloads);
    expect(await metric('portico_endpoint_updates_total')).toBe(updates + 1);
  });

  test('tini, the controller and every nginx process run as uid and gid 10001', async () => {
    const procs = await ctr.processes();
    const names = procs.map((p) => p.name);
    expect(names).toContain('tini');
    expect(names).toContain('node');
    const nginx = procs.filter((p) => p.name === 'nginx');
    expect(nginx.some((p) => p.cmdline.startsWith('nginx: master process'))).toBe(true);
    expect(nginx.some((p) => p.cmdline.startsWith('nginx: worker process'))).toBe(true);
    for (const p of procs) {
      expect({ name: p.name, uids: p.uids, gids: p.gids }).toEqual({ name: p.name, uids: [10001, 10001, 10001, 10001], gids: [10001, 10001, 10001, 10001] });
    }
    const init = procs.find((p) => p.cmdline.startsWith('tini'));
    expect(init?.pid).toBe(await ctr.initPid());
  });

  test('the root file system is read-only and uid 10001 can write only below the state directory', async () => {
    const mounts = await ctr.mounts();
    const rootMount = mounts.filter((m) => m.mountPoint === '/').pop();
    expect(rootMount?.options).toContain('ro');
    expect(mounts.find((m) => m.mountPoint === MANIFESTS)?.options).toContain('ro');
    // Every directory the container's user may create a file in (access(W_OK) answers EROFS on a read-only mount).
    const probe = `
      const fs = require('node:fs');
      const found = [];
      const walk = (dir) => {
        let entries;
        try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
        try { fs.accessSync(dir, fs.constants.W_OK); found.push(dir); } catch {}
        for (const e of entries) if (e.isDirectory()) walk((dir === '/' ? '' : dir) + '/' + e.name);
      };
      for (const top of fs.readdirSync('/')) if (top !== 'proc' && top !== 'sys') walk('/' + top);
      try { fs.accessSync('/', fs.constants.W_OK); found.push('/'); } catch {}
      process.stdout.write(JSON.stringify(found));`;
    const r = await ctr.exec(['node', '-e', probe], '10001:10001');
    expect(r.exitCode).toBe(0);
    const writable = JSON.parse(r.stdout) as string[];
    expect(writable.length).toBeGreaterThan(0);
    expect(writable.filter((d) => d !== STATE && !d.startsWith(`${STATE}/`))).toEqual([]);
    // What nginx writes is there: its pid, logs and temp paths.
    expect(writable).toEqual(expect.arrayContaining([STATE, `${STATE}/logs`, `${STATE}/tmp`]));
  });

  test('the WAF in the image: with the Core Rule Set and SecRuleEngine On, a script in the query answers 403 and a plain request reaches the backend', async () => {
    // Service app's endpoints are whichever the EndpointSlice test left: any echo backend answering is right.
    let plain: Reply | undefined;
    await waitFor(async () => (plain = await get('waf.test', '/')).status === 200 && plain.echo !== undefined, 20000, 'waf.test/ answered by an echo backend');
    expect((await get('waf.test', '/?q=<script>alert(1)</script>')).status).toBe(403);
  });

  test("the image's nginx modules are exactly install-deps.sh's, with NDK, and all of them are loaded", async () => {
    const wanted = await installDepsModules();
    expect(wanted.length).toBeGreaterThanOrEqual(3);
    // NDK comes with Lua and set-misc, which need it (Debian's libnginx-mod-http-ndk).
    const ndk = luaModules(MODULES_DIR).ndkModule.slice(MODULES_DIR.length + 1);
    const r = await ctr.exec(['node', '-e', `process.stdout.write(JSON.stringify(require('node:fs').readdirSync(${JSON.stringify(MODULES_DIR)})))`], '10001:10001');
    const installed = (JSON.parse(r.stdout) as string[]).sort();
    expect(installed).toEqual([...wanted, ndk].sort());
    // The config in force (state dir, written by portico in the container) loads each of them once.
    const conf = await readFile(join(stateDir, 'nginx.conf'), 'utf8');
    const loaded = [...conf.matchAll(/^load_module "([^"]+)";$/gm)].map((m) => m[1]!).sort();
    expect(loaded).toEqual(installed.map((m) => `${MODULES_DIR}/${m}`));
  });
});
