import { chmod, chown, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
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

