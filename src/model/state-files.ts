import { createHash, createHmac } from 'node:crypto';

/**
 * The name of a state file is its owner's name plus a digest of its content, so that writing the files
 * of a candidate config never changes a file the config in force uses: a changed Secret gets a new file,
 * and the old one stays until the new config is in force (apply/state-dir.ts removeUnusedStateFiles).
 * 16 hex digits (64 bits): names only have to differ when contents do, among a few thousand files.
 * With `key` (a secret kept in the state dir) the digest is an HMAC: a plain digest of an htpasswd file
 * in nginx.conf would let its reader test guessed passwords of unsalted ({SHA}) hashes offline.
 */
export function contentAddressedPath(folder: string, owner: string, extension: string, content: string, key?: string): string {
  const mac = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  const digest = mac.update(content).digest('hex').slice(0, 16);
  return `${folder}/${owner}.${digest}.${extension}`;
}

/** The folders below the state dir that hold StateFiles: what a config does not use there is removed after it is in force. */
export const STATE_FILE_FOLDERS = ['certs', 'auth', 'lua', 'modsecurity'] as const;
