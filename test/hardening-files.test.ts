// Issue 11, the files a config refers to: staged per config (3), TLS Secrets checked as nginx reads
// them (5), removed once no config in force uses them (14), a state dir nginx's workers cannot enter
// refused (17), and no Secret text in nginx.conf (15). Real `portico run` / `portico render`, real nginx,
// real http and https.
import { RETIRED_FILES_GRACE_MS } from '../src/reconcile/sync-loop.js';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../src/apply/nginx-process.js';
import type { KubeObject } from '../src/store/types.js';
import { basic, shaHash } from './support/auth.js';
import { makeCertificate, tlsSecret, type TestCertificate } from './support/certs.js';
import { ensureBuilt, startController, toYaml, type RunningController } from './support/controller.js';
import { request } from './support/http.js';
import { simpleIngress } from './support/ingress.js';
import { nginxWrapper } from './support/nginx.js';
import { freePort, waitFor } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from './support/scenario.js';

jest.setTimeout(120000);

const CLI = join(process.cwd(), 'dist', 'cli', 'main.js');

function tlsIngress(name: string, host: string, secretName: string, service: string): KubeObject {
  const ing = simpleIngress(name, host, [['/', service]]) as KubeObject & { spec: Record<string, unknown> };
  ing.spec.tls = [{ hosts: [host], secretName }];
  return ing;
}

function authIngress(name: string, host: string, secretName: string, service: string): KubeObject {
  return simpleIngress(name, host, [['/', service]], {
    annotations: { 'nginx.ingress.kubernetes.io/auth-type': 'basic', 'nginx.ingress.kubernetes.io/auth-secret': secretName },
  });
}

function authSecret(name: string, auth: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, stringData: { auth } } as KubeObject;
}

async function httpsCertCN(ctl: RunningController, servername: string): Promise<{ status: number; cn?: string; org?: string; service?: string }> {
  const r = await request({ port: ctl.httpsPort, host: servername, path: '/', tls: { servername } });
  return { status: r.status, cn: r.peerCertificate?.subject?.CN, org: r.peerCertificate?.subject?.O, service: r.echo?.service };
}

async function masterPid(stateDir: string): Promise<number> {
  return Number((await readFile(join(stateDir, 'nginx.pid'), 'utf8').catch(() => '')).trim());
}

async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** Resolves once `count` more syncs than `before` have completed (any result). */
async function syncsAfter(ctl: RunningController, before: number, count = 1): Promise<void> {
  await waitFor(async () => (await syncTotal(ctl)) >= before + count, 20000, `${count} more sync(s)`);
}

async function syncTotal(ctl: RunningController): Promise<number> {
  let total = 0;
  for (const result of ['applied', 'unchanged', 'failed']) total += (await ctl.metric('portico_syncs_total', { result })) ?? 0;
  return total;
}

describe('item 3: a refused sync never changes a file the config in force uses', () => {
  let backends: Backends;
  let ctl: RunningController;
  let certA: TestCertificate;
  let certB: TestCertificate;
  let refuseMarker: string;

  beforeAll(async () => {
    backends = await startBackends('app');
    certA = await makeCertificate('default-a.test');
    certB = await makeCertificate('default-b.test');
    refuseMarker = join(await mkdtemp(join(tmpdir(), 'portico-refuse-')), 'refuse');
    // An nginx whose config check refuses while the marker exists: a refusal Portico's own checks cannot
    // foresee (the case was a default certificate nginx refused and Portico's check let through).
    const nginx = await nginxWrapper(
      `case " $* " in *" -t "*) if [ -e ${refuseMarker} ]; then echo "nginx: [emerg] refused by the test" >&2; exit 1; fi ;; esac`,
    );
    ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'services.yaml': serviceFor('default', 'app', [backends.by.app!]),
        'app.yaml': [simpleIngress('app', 'app.test', [['/', 'app']])],
        'default-cert.yaml': [tlsSecret('default', 'default-cert', certA)],
      },
      args: ['--default-ssl-certificate', 'default/default-cert', '--nginx-binary', nginx],
    });
  });

  afterAll(async () => {
    expect(await ctl?.stop()).toBe(0);
    await backends?.stopAll();
  });

  test('default certificate replaced while nginx refuses the config; nginx SIGKILLed: it comes back with the old certificate', async () => {
    expect(await httpsCertCN(ctl, 'app.test')).toEqual({ status: 200, cn: 'default-a.test', org: undefined, service: 'app' });
    const confBefore = await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8');

    await writeFile(refuseMarker, '');
    const failedBefore = (await ctl.metric('portico_syncs_total', { result: 'failed' })) ?? 0;
    await ctl.writeFile('default-cert.yaml', [tlsSecret('default', 'default-cert', certB)]);
    await waitFor(async () => ((await ctl.metric('portico_syncs_total', { result: 'failed' })) ?? 0) > failedBefore, 20000, 'the refused sync');
    expect(await readFile(join(ctl.stateDir, 'nginx.conf'), 'utf8')).toBe(confBefore);

    // nginx dies; the controller starts it again from the config in force, and its files.
    const pid = await masterPid(ctl.stateDir);
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => {
      const now = await masterPid(ctl.stateDir);
      return now !== pid && processAlive(now);
    }, 15000, 'a new nginx master');
    await ctl.waitForBackend('app.test', '/', 'app');
    // The first https connections after the restart may meet nginx still starting (a reset): retried.
    let after: Awaited<ReturnType<typeof httpsCertCN>> | undefined;
    await waitFor(async () => (after = await httpsCertCN(ctl, 'app.test')).status === 200, 15000, 'https after the restart');
    expect(after).toEqual({ status: 200, cn: 'default-a.test', org: undefined, service: 'app' });
    expect(await ctl.metric('portico_nginx_restarts_total')).toBe(1);

    // Once nginx accepts configs again, B is put in force and A's file is removed.
    await rm(refuseMarker);
    await ctl.writeFile('app.yaml', [simpleIngress('app', 'app.test', [['/', 'app'], ['/again', 'app']])]);
    await waitFor(async () => (await httpsCertCN(ctl, 'app.test')).cn === 'default-b.test', 20000, 'certificate B in force');
    // Certificate A's file goes once the workers of its config are retired (RETIRED_FILES_GRACE_MS).
    const defaultCerts = async () => (await filesIn(join(ctl.stateDir, 'certs'))).filter((f) => f.startsWith('default_default-cert.'));
    await waitFor(async () => (await defaultCerts()).length === 1, RETIRED_FILES_GRACE_MS + 20000, 'certificate A removed');
    expect(await defaultCerts()).toHaveLength(1);
  });
});

describe('item 5: a TLS Secret nginx would refuse falls back to the default certificate; the host keeps answering', () => {
  let backends: Backends;
  let ctl: RunningController;
  let good: TestCertificate;
  let other: TestCertificate;
  let weak: TestCertificate;

  beforeAll(async () => {
    backends = await startBackends('secure');
    good = await makeCertificate('secure.test');
    other = await makeCertificate('other.test');
    const dir = await mkdtemp(join(tmpdir(), 'portico-weak-'));
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-sha256', '-days', '3', '-subj', '/CN=secure.test', '-keyout', join(dir, 'k'), '-out', join(dir, 'c')]);
    weak = { cert: await readFile(join(dir, 'c'), 'utf8'), key: await readFile(join(dir, 'k'), 'utf8') };
    ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'services.yaml': serviceFor('default', 'secure', [backends.by.secure!]),
        'secure.yaml': [tlsIngress('secure', 'secure.test', 'secure-tls', 'secure')],
        'secret.yaml': [tlsSecret('default', 'secure-tls', good)],
      },
    });
  });

  afterAll(async () => {
    expect(await ctl?.stop()).toBe(0);
    await backends?.stopAll();
  });

  test.each([
    ['an extra private key in tls.crt', () => ({ cert: `${good.cert}${other.key}`, key: good.key }), /tls\.crt: PEM block 2 is a PRIVATE KEY/],
    ['a corrupt certificate in the chain', () => ({ cert: `${good.cert}-----BEGIN CERTIFICATE-----\nMIIBbroken\n-----END CERTIFICATE-----\n`, key: good.key }), /certificate 2 does not parse/],
    ['a key that does not match the leaf', () => ({ cert: `${good.cert}${other.cert}`, key: other.key }), /does not match the first certificate/],
    ['a 1024-bit RSA key', () => weak, /ee key too small/],
  ])('%s: https still answers, with the default certificate, and a warning names the Secret, the Ingress and the reason', async (_what, pair, reason) => {
    // Each case starts from the good Secret in force (also after an earlier case failed).
    // Each step waits until no worker of the config before it still accepts (see workersSettled): a
    // lingering worker of the previous case's config would otherwise answer for the new one.
    await ctl.writeFile('secret.yaml', [tlsSecret('default', 'secure-tls', good)]);
    await waitFor(async () => (await httpsCertCN(ctl, 'secure.test').catch(() => undefined))?.cn === 'secure.test' && (await ctl.workersSettled()), 20000, 'the host certificate');
    await ctl.writeFile('secret.yaml', [tlsSecret('default', 'secure-tls', pair())]);
    const warned = () => ctl.logs.find((l) => l.level === 'warn' && /Secret default\/secure-tls/.test(l.message) && reason.test(l.message));
    await waitFor(async () => warned() !== undefined, 20000, 'the warning for this Secret');
    await waitFor(async () => (await httpsCertCN(ctl, 'secure.test')).org === 'Portico' && (await ctl.workersSettled()), 20000, 'the default certificate presented');
    expect(await httpsCertCN(ctl, 'secure.test')).toMatchObject({ status: 200, org: 'Portico', service: 'secure' });
    expect((await ctl.get('secure.test', '/')).status).toBe(308);
    expect(warned()?.message).toMatch(/^warning: Ingress default\/secure: TLS for host secure\.test: Secret default\/secure-tls: .*; serving the default certificate$/);
    expect(ctl.logs.filter((l) => /excluded|nginx -t failed/.test(JSON.stringify(l)))).toEqual([]);
  });
});

describe('item 14: files no config in force uses are removed; keys on disk are 0600', () => {
  let backends: Backends;
  let ctl: RunningController;

  beforeAll(async () => {
    backends = await startBackends('app');
    const cert = await makeCertificate('tls.test');
    ctl = await startController({
      files: {
        'class.yaml': [INGRESS_CLASS],
        'services.yaml': serviceFor('default', 'app', [backends.by.app!]),
        'tls.yaml': [tlsIngress('tls', 'tls.test', 'tls-cert', 'app'), tlsSecret('default', 'tls-cert', cert)],
        'auth.yaml': [authIngress('auth', 'auth.test', 'creds', 'app'), authSecret('creds', `alice:${shaHash('wonderland')}\n`)],
      },
    });
  });

  afterAll(async () => {
    expect(await ctl?.stop()).toBe(0);
    await backends?.stopAll();
  });

  test('a deleted TLS Secret takes its key file with it; a deleted Ingress its htpasswd file; the self-signed fallback stays', async () => {
    const certs = join(ctl.stateDir, 'certs');
    const auth = join(ctl.stateDir, 'auth');
    const keyFile = (await filesIn(certs)).find((f) => f.startsWith('default_tls-cert.'));
    const htpasswd = (await filesIn(auth)).find((f) => f.startsWith('default_auth.'));
    expect(keyFile).toBeDefined();
    expect(htpasswd).toBeDefined();
    for (const f of [join(certs, keyFile!), join(auth, htpasswd!), join(certs, 'default-selfsigned.pem')]) expect((await stat(f)).mode & 0o777).toBe(0o600);
    expect((await ctl.get('auth.test', '/', { headers: basic('alice', 'wonderland') })).status).toBe(200);

    // The Secret goes: the host falls back to the default certificate, and the key leaves the disk.
    await ctl.writeFile('tls.yaml', [tlsIngress('tls', 'tls.test', 'tls-cert', 'app')]);
    await waitFor(async () => (await httpsCertCN(ctl, 'tls.test')).org === 'Portico', 20000, 'the fallback certificate');
    // Removed once the workers the reload retired are gone (RETIRED_FILES_GRACE_MS after it), not before.
    await waitFor(async () => !(await filesIn(certs)).includes(keyFile!), RETIRED_FILES_GRACE_MS + 20000, 'the key file removed');
    expect(await filesIn(certs)).toEqual(['default-selfsigned.pem']);

    // Changed credentials: a new file, and the old one goes once the new config is in force.
    await ctl.writeFile('auth.yaml', [authIngress('auth', 'auth.test', 'creds', 'app'), authSecret('creds', `bob:${shaHash('builder')}\n`)]);
    await waitFor(async () => (await ctl.get('auth.test', '/', { headers: basic('bob', 'builder') })).status === 200, 20000, 'the new credentials');
    expect((await ctl.get('auth.test', '/', { headers: basic('alice', 'wonderland') })).status).toBe(401);
    // The old file stays while retired workers may still answer with it; then it goes.
    await waitFor(async () => (await filesIn(auth)).length === 1, RETIRED_FILES_GRACE_MS + 20000, 'the old htpasswd file removed');
    const now = await filesIn(auth);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(htpasswd);
    expect((await stat(join(auth, now[0]!))).mode & 0o777).toBe(0o600);

    // The file name is keyed by the state dir's secret (0600), not a plain digest of the credentials.
    expect((await stat(join(ctl.stateDir, '.portico-file-name-key'))).mode & 0o777).toBe(0o600);
    const plain = createHash('sha256').update(`bob:${shaHash('builder')}\n`).digest('hex').slice(0, 16);
    expect(now[0]).not.toContain(plain);

    // The Ingress goes: its htpasswd file too.
    const before = await syncTotal(ctl);
    await ctl.removeFile('auth.yaml');
    await syncsAfter(ctl, before);
    await ctl.waitForBackend('auth.test', '/', null, 404);
    await waitFor(async () => (await filesIn(auth)).length === 0, RETIRED_FILES_GRACE_MS + 20000, 'the htpasswd file removed');
  });

  test('render: a second render without the Secret and the Ingress removes their files from the state dir', async () => {
    await ensureBuilt();
    const backendPair = await makeCertificate('backend.internal');
    const dir = await mkdtemp(join(tmpdir(), 'portico-render-clean-'));
    await chmod(dir, 0o755); // nginx's workers (nobody, when run as root) enter the state dir below it
    const state = join(dir, 'state');
    const manifests = join(dir, 'm.yaml');
    const objects = [
      INGRESS_CLASS,
      tlsIngress('tls', 'tls.test', 'tls-cert', 'app'),
      tlsSecret('default', 'tls-cert', await makeCertificate('tls.test')),
      authIngress('auth', 'auth.test', 'creds', 'app'),
      authSecret('creds', `alice:${shaHash('x')}\n`),
      // proxy-ssl-secret (features/proxy-ssl.ts): its ca.crt and its client pair become two files in certs/.
      simpleIngress('backend-tls', 'backend-tls.test', [['/', 'app']], {
        annotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS', 'nginx.ingress.kubernetes.io/proxy-ssl-secret': 'default/backend-client' },
      }),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'backend-client', namespace: 'default' }, stringData: { 'ca.crt': backendPair.cert, 'tls.crt': backendPair.cert, 'tls.key': backendPair.key } } as KubeObject,
    ];
    const render = () => execa('node', [CLI, 'render', '--manifests', manifests, '--state-dir', state, '--out', join(dir, 'nginx.conf')], { reject: false });
    await writeFile(manifests, toYaml(objects));
    expect((await render()).exitCode).toBe(0);
    expect((await filesIn(join(state, 'certs'))).filter((f) => f.startsWith('default_tls-cert.'))).toHaveLength(1);
    expect(await filesIn(join(state, 'auth'))).toHaveLength(1);
    const backendFiles = (await filesIn(join(state, 'certs'))).filter((f) => f.startsWith('default_backend-client.'));
    expect(backendFiles.map((f) => f.replace(/\.[0-9a-f]{16}\./, '.DIGEST.')).sort()).toEqual(['default_backend-client.proxy-ca.DIGEST.pem', 'default_backend-client.proxy-client.DIGEST.pem']);
    for (const f of backendFiles) expect((await stat(join(state, 'certs', f))).mode & 0o777).toBe(0o600);
    await writeFile(manifests, toYaml([INGRESS_CLASS, simpleIngress('tls', 'tls.test', [['/', 'app']])]));
    expect((await render()).exitCode).toBe(0);
    expect(await filesIn(join(state, 'certs'))).toEqual(['default-selfsigned.pem']);
    expect(await filesIn(join(state, 'auth'))).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('item 17: a state dir nginx workers cannot enter is refused (exit 2, naming the directory and the user)', () => {
  let parent: string;
  let manifests: string;
  beforeAll(async () => {
    await ensureBuilt();
    // A fresh 0700 parent, as /root is: nobody cannot enter it.
    parent = await mkdtemp(join(tmpdir(), 'portico-private-'));
    await chmod(parent, 0o700);
    manifests = join(await mkdtemp(join(tmpdir(), 'portico-m-')), 'm.yaml');
    await writeFile(manifests, toYaml([INGRESS_CLASS, simpleIngress('app', 'app.test', [['/', 'app']])]));
  });
  afterAll(async () => rm(parent, { recursive: true, force: true }));

  const message = (state: string) =>
    new RegExp(`state directory ${state}: nginx's worker user nobody \\(uid 65534\\) cannot enter ${parent} \\(mode 0700, owner 0:0\\)`);

  test('render', async () => {
    expect(process.getuid?.()).toBe(0); // the case only exists when nginx's master runs as root
    const state = join(parent, 'render-state');
    const out = join(parent, 'nginx.conf');
    const r = await execa('node', [CLI, 'render', '--manifests', manifests, '--state-dir', state, '--out', out], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message(state));
    await expect(stat(out)).rejects.toThrow();
  });

  test('run', async () => {
    const state = join(parent, 'run-state');
    const r = await execa(
      'node',
      [CLI, 'run', '--manifests', manifests, '--state-dir', state, '--http-port', String(await freePort()), '--https-port', String(await freePort()), '--metrics-port', '0', '--status-port', '0'],
      { reject: false, timeout: 30000, env: { PATH: `${process.env.PATH}:/usr/sbin` } },
    );
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message(state));
    await expect(stat(join(state, 'nginx.pid'))).rejects.toThrow();
  });

  test('the same render under a parent nobody can enter (0711) succeeds, and basic auth answers 401/200, not 500', async () => {
    const open = await mkdtemp(join(tmpdir(), 'portico-open-'));
    await chmod(open, 0o711);
    const backends = await startBackends('app');
    const state = join(open, 'state');
    const out = join(open, 'nginx.conf');
    const httpPort = await freePort();
    await writeFile(join(open, 'm.yaml'), toYaml([INGRESS_CLASS, ...serviceFor('default', 'app', [backends.by.app!]), authIngress('auth', 'auth.test', 'creds', 'app'), authSecret('creds', `alice:${shaHash('pw')}\n`)]));
    const r = await execa('node', [CLI, 'render', '--manifests', join(open, 'm.yaml'), '--state-dir', state, '--out', out, '--http-port', String(httpPort), '--https-port', String(await freePort())], { reject: false });
    expect(r.exitCode).toBe(0);
    await mkdir(join(state, 'logs'), { recursive: true });
    const nginx = execa('nginx', ['-p', state, '-c', out, '-e', join(state, 'logs/error.log'), '-g', 'daemon off;'], { reject: false, env: { PATH: `${process.env.PATH}:/usr/sbin` } });
    try {
      await waitFor(async () => (await request({ port: httpPort, host: 'auth.test', path: '/' }).catch(() => ({ status: 0 }))).status !== 0, 10000, 'nginx up');
      expect((await request({ port: httpPort, host: 'auth.test', path: '/' })).status).toBe(401);
      expect((await request({ port: httpPort, host: 'auth.test', path: '/', headers: basic('alice', 'pw') })).status).toBe(200);
    } finally {
      nginx.kill('SIGQUIT');
      await nginx;
      await backends.stopAll();
      await rm(open, { recursive: true, force: true });
    }
  });
});

describe('item 15 (part): no Secret text reaches nginx.conf', () => {
  test('markers in an auth Secret name and its data, and in a TLS Secret, never appear in nginx.conf', async () => {
    await ensureBuilt();
    const dir = await mkdtemp(join(tmpdir(), 'portico-marker-'));
    await chmod(dir, 0o755);
    const cert = await makeCertificate('tls.test');
    const objects = [
      INGRESS_CLASS,
      // A user name and hash from the Secret that fail validation: the reason once reached a comment.
      authIngress('bad-data', 'bad-data.test', 'creds', 'app'),
      authSecret('creds', `alice:${shaHash('x')}\nMARKERUSERZQ:MARKER HASH ZQ\n`),
      {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'map', namespace: 'default' }, stringData: { 'markerkeyzq': 'MARKERVALUEZQ with space' },
      } as KubeObject,
      simpleIngress('bad-map', 'bad-map.test', [['/', 'app']], {
        annotations: { 'nginx.ingress.kubernetes.io/auth-type': 'basic', 'nginx.ingress.kubernetes.io/auth-secret': 'map', 'nginx.ingress.kubernetes.io/auth-secret-type': 'auth-map' },
      }),
      // A Secret that does not exist, named with a marker.
      authIngress('missing', 'missing.test', 'markernamezq', 'app'),
      // PEM comment text in a TLS Secret.
      tlsIngress('tls', 'tls.test', 'tls-cert', 'app'),
      tlsSecret('default', 'tls-cert', { cert: `MARKERPEMZQ\n${cert.cert}`, key: cert.key }),
    ];
    await writeFile(join(dir, 'm.yaml'), toYaml(objects));
    const out = join(dir, 'nginx.conf');
    const r = await execa('node', [CLI, 'render', '--manifests', join(dir, 'm.yaml'), '--state-dir', join(dir, 'state'), '--out', out], { reject: false });
    expect(r.exitCode).toBe(0);
    const conf = await readFile(out, 'utf8');
    expect(conf).toContain('return 503;');
    for (const marker of [/markeruserzq/i, /marker hash zq/i, /markerkeyzq/i, /markervaluezq/i, /markernamezq/i, /markerpemzq/i]) expect(conf).not.toMatch(marker);
    // The operator still learns why, from the warnings.
    expect(r.stderr).toMatch(/warning: Ingress default\/bad-data: auth-secret: Secret default\/creds: line 2 of "auth": the password hash is not valid; the line is ignored/);
    // Text outside the PEM blocks is not written to the certificate file either.
    const certs = join(dir, 'state', 'certs');
    for (const f of await filesIn(certs)) expect(await readFile(join(certs, f), 'utf8')).not.toMatch(/MARKERPEMZQ/);
    await rm(dir, { recursive: true, force: true });
  });
});
