import { chmod, chown, mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { STATE_FILE_FOLDERS } from '../model/state-files.js';
import { SELF_SIGNED_CERT_PATH } from '../model/tls.js';
import type { StateFile } from '../model/types.js';

/** nginx's workers run as `nobody` when the master runs as root; files they read at request time must be theirs. */
const NOBODY_UID = 65534;
const NOGROUP_GID = 65534;

export class StateDirError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'StateDirError';
  }
}

/** Creates the folders nginx writes to: logs, temp paths, certificates (0700), credentials. */
export async function prepareStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o755 });
  if (process.getuid?.() === 0) {
    // Workers run as nobody and open htpasswd files and temp paths below the state dir at request time:
    // they need to traverse it, even when it was created 0700 (mkdtemp, a umask).
    const { mode } = await stat(stateDir);
    if ((mode & 0o001) === 0) await chmod(stateDir, (mode & 0o777) | 0o711);
  }
  for (const sub of ['logs', 'tmp']) await mkdir(join(stateDir, sub), { recursive: true, mode: 0o755 });
  await mkdir(join(stateDir, 'certs'), { recursive: true, mode: 0o700 });
  await mkdir(join(stateDir, 'auth'), { recursive: true, mode: 0o711 });
}

/** Resolves a model file path under the state dir, refusing anything that would leave it. */
export function statePath(stateDir: string, relativePath: string): string {
  const root = resolve(stateDir);
  const full = resolve(root, relativePath);
  if (!full.startsWith(root + sep)) throw new StateDirError(relativePath, 'resolves outside the state directory');
  return full;
}

/** Writes a file atomically (temp file + rename) with its mode; unchanged content is left alone. */
export async function writeFileAtomic(path: string, content: string, mode: number): Promise<boolean> {
  try {
    if ((await readFile(path, 'utf8')) === content) return false;
  } catch {
    // absent: write it
  }
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, path);
  return true;
}

export async function writeStateFiles(stateDir: string, files: readonly StateFile[]): Promise<number> {
  let written = 0;
  for (const file of files) {
    const full = statePath(stateDir, file.path);
    if (await writeFileAtomic(full, file.content, file.mode)) written++;
    if (file.readByWorkers && process.getuid?.() === 0) await chown(full, NOBODY_UID, NOGROUP_GID);
  }
  return written;
}

/** The fallback certificate when no --default-ssl-certificate is given: generated once, kept across runs. */
export async function ensureSelfSignedCertificate(stateDir: string): Promise<string> {
  const path = statePath(stateDir, SELF_SIGNED_CERT_PATH);
  try {
    await stat(path);
    return path;
  } catch {
    // generate below
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const keyFile = `${path}.key.tmp`;
  const certFile = `${path}.crt.tmp`;
  // execa loads here, once per state dir: a render into an existing state dir does not pay its start-up cost.
  const { execa } = await import('execa');
  await execa('openssl', [
    // P-256: a fresh state dir pays milliseconds for its key, not the second an RSA key can take.
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-days', '3650',
    '-subj', '/O=Portico/CN=Portico Default Certificate',
    '-addext', 'subjectAltName=DNS:portico.invalid',
    '-keyout', keyFile, '-out', certFile,
  ]);
  const content = `${(await readFile(certFile, 'utf8')).trim()}\n${(await readFile(keyFile, 'utf8')).trim()}\n`;
  await writeFileAtomic(path, content, 0o600);
  const { rm } = await import('node:fs/promises');
  await rm(keyFile, { force: true });
  await rm(certFile, { force: true });
  return path;
}

/**
 * Removes the files below the state file folders (certs/, auth/, lua/) that `used` (paths relative to
 * the state dir) does not name: keys of deleted TLS Secrets, htpasswd files of deleted Ingresses, the
 * files of configs that were checked and refused, leftovers of an interrupted write. Call it only once
 * the config that uses `used` is in force. The self-signed fallback certificate is kept: it is generated
 * once per state dir, and a later fallback reuses it. Returns the paths removed.
 */
export async function removeUnusedStateFiles(stateDir: string, used: ReadonlySet<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const folder of STATE_FILE_FOLDERS) {
    let entries;
    try {
      entries = await readdir(statePath(stateDir, folder), { withFileTypes: true });
    } catch {
      continue; // not there: nothing to remove
    }
    for (const entry of entries) {
      const path = `${folder}/${entry.name}`;
      if (used.has(path) || path === SELF_SIGNED_CERT_PATH) continue;
      if (!entry.isFile() && !entry.isSymbolicLink()) continue;
      await rm(statePath(stateDir, path), { force: true });
      removed.push(path);
    }
  }
  return removed;
}

/** The user nginx's workers run as when the master runs as root. */
export interface WorkerUser {
  name: string;
  uid: number;
  /** Its primary group and every group that lists it. */
  gids: number[];
}

/**
 * The `user NAME [GROUP];` directive of an nginx.conf (or of its template's main context; without GROUP,
 * nginx takes the group named like the user), else nginx's built-in default: Debian's nginx is built
 * without --user, so its workers run as nobody/nogroup.
 */
export function workerUserDirective(configText: string): { user: string; group: string } {
  const m = /^[ \t]*user[ \t]+([A-Za-z0-9._-]+)(?:[ \t]+([A-Za-z0-9._-]+))?[ \t]*;/m.exec(configText);
  return m ? { user: m[1]!, group: m[2] ?? m[1]! } : { user: 'nobody', group: 'nogroup' };
}

/** Reads the worker user's ids from /etc/passwd and /etc/group (injected for tests); nobody (65534) when the name is unknown. */
export async function resolveWorkerUser(
  directive: { user: string; group: string },
  read: (path: string) => Promise<string> = (path) => readFile(path, 'utf8'),
): Promise<WorkerUser> {
  const passwd = (await read('/etc/passwd').catch(() => '')).split('\n').map((l) => l.split(':'));
  const groups = (await read('/etc/group').catch(() => '')).split('\n').map((l) => l.split(':'));
  const entry = passwd.find((f) => f[0] === directive.user || f[2] === directive.user);
  const uid = entry ? Number(entry[2]) : NOBODY_UID;
  const named = groups.find((g) => g[0] === directive.group || g[2] === directive.group);
  // nginx switches to the directive's group (else nginx -t fails), plus the user's supplementary groups (initgroups).
  const primary = named ? Number(named[2]) : entry ? Number(entry[3]) : NOGROUP_GID;
  const members = groups.filter((g) => (g[3] ?? '').split(',').includes(directive.user)).map((g) => Number(g[2]));
  return { name: directive.user, uid, gids: [...new Set([primary, ...members])].filter(Number.isInteger) };
}

/** Whether `user` may search (traverse) a directory with this owner and mode. POSIX ACLs are not consulted. */
function canTraverse(user: WorkerUser, dir: { uid: number; gid: number; mode: number }): boolean {
  if (user.uid === 0) return true;
  if (dir.uid === user.uid) return (dir.mode & 0o100) !== 0;
  if (user.gids.includes(dir.gid)) return (dir.mode & 0o010) !== 0;
  return (dir.mode & 0o001) !== 0;
}

/**
 * Run as root, nginx's workers switch to the worker user, and at request time they open files below the
 * state dir: htpasswd files (auth/) and the temp files of request bodies larger than the buffer (tmp/).
 * Every directory on the way must let that user through, or those requests answer 500 while the config
 * loads fine (a state dir under /root, which is 0700). Returns the reason when it does not, else
 * undefined; always undefined when not run as root (the workers are then the same user as the master).
 * Call it after prepareStateDir.
 */
export async function workerAccessProblem(stateDir: string, user: WorkerUser, uid = process.getuid?.()): Promise<string | undefined> {
  if (uid !== 0) return undefined;
  const real = await realpath(stateDir);
  const dirs: string[] = [];
  for (let dir = real; ; dir = dirname(dir)) {
    dirs.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  dirs.push(join(real, 'auth'), join(real, 'tmp'));
  for (const dir of dirs) {
    const info = await stat(dir);
    if (!canTraverse(user, info)) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      return (
        `state directory ${stateDir}: nginx's worker user ${user.name} (uid ${user.uid}) cannot enter ${dir} ` +
        `(mode ${mode}, owner ${info.uid}:${info.gid}), so basic auth and request bodies larger than the buffer would answer 500; ` +
        `choose a state directory that user can reach, or let it through (chmod o+x ${dir})`
      );
    }
  }
  return undefined;
}

/** Below the state dir, outside the state file folders (never removed as unused). */
export const FILE_NAME_KEY_PATH = '.portico-file-name-key';

/**
 * The secret that keys htpasswd file names (ModelOptions.fileNameKey): generated once per state dir
 * (0600), so names, and with them the config text, stay the same across syncs and restarts.
 */
export async function fileNameKey(stateDir: string): Promise<string> {
  const path = statePath(stateDir, FILE_NAME_KEY_PATH);
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    // first use of this state dir
  }
  await mkdir(stateDir, { recursive: true, mode: 0o755 });
  const { randomBytes } = await import('node:crypto');
  await writeFileAtomic(path, `${randomBytes(32).toString('hex')}\n`, 0o600);
  return (await readFile(path, 'utf8')).trim();
}
