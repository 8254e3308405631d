import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import jsYaml from 'js-yaml';
import type { KubeObject } from '../store/types.js';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** A manifest that cannot be read or parsed; `document` is 1-based within the file. */
export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly document: number | undefined,
    readonly reason: string,
  ) {
    super(`${file}${document ? ` (document ${document})` : ''}: ${reason}`);
    this.name = 'ManifestError';
  }
}

/** A manifest path that is not a regular file after following symlinks (a FIFO, a device such as /dev/zero, a socket). */
export class NotRegularFileError extends ManifestError {
  constructor(file: string) {
    super(file, undefined, 'not a regular file (a FIFO, device or socket): not read');
    this.name = 'NotRegularFileError';
  }
}

/**
 * The largest manifest file read. A file of 10,000 Ingresses is about 4 MB; 64 MiB holds 16 times that
 * (160,000 Ingresses, parsed in 3 s into 350 MB), and Kubernetes itself caps an object at 1.5 MiB. A
 * larger file is refused rather than read into memory: it is a mistake or an attack (a log, a disk image).
 */
export const MAX_MANIFEST_FILE_BYTES = 64 * 1024 * 1024;

/** Called for a directory entry with a manifest's name that is not a regular file: skipped, not read. */
export type SkippedFile = (path: string, reason: string) => void;

export function isManifestFile(path: string): boolean {
  return MANIFEST_EXTENSIONS.some((ext) => path.toLowerCase().endsWith(ext));
}

/**
 * Lists manifest files under a path: the file itself, or every manifest below a directory, sorted. An
 * entry with a manifest's name that is not a regular file once symlinks are followed (a FIFO would block
 * the read forever, /dev/zero never ends) is skipped and reported to `onSkip`.
 */
export async function listManifestFiles(path: string, onSkip?: SkippedFile): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new ManifestError(path, undefined, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const child = join(path, entry.name);
    if (entry.isDirectory()) files.push(...(await listManifestFiles(child, onSkip)));
    else if (isManifestFile(entry.name)) {
      if (entry.isFile()) files.push(child);
      else if (await stat(child).then((s) => s.isFile(), () => false)) files.push(child);
      else onSkip?.(child, new NotRegularFileError(child).reason);
    }
  }
  return files;
}

/** The number (1-based) of the document that holds a 0-based line: `---` separators before it, plus one if content precedes the first. */
function documentAt(text: string, line: number): number {
  const lines = text.split('\n');
  let index = 0;
  let contentBeforeFirst = false;
  let sawSeparator = false;
  for (let i = 0; i <= Math.min(line, lines.length - 1); i++) {
    const l = lines[i]!;
    if (/^---(\s|$)/.test(l)) {
      index++;
      sawSeparator = true;
    } else if (!sawSeparator && l.trim() !== '' && !l.trimStart().startsWith('#')) {
      contentBeforeFirst = true;
    }
  }
  return index + (contentBeforeFirst ? 1 : 0) || 1;
}

/**
 * js-yaml shares an aliased node instead of copying it, so a few lines of aliases of aliases (a "billion
 * laughs") parse at once into a value that anything walking it (String(), JSON, the model) expands to
 * billions of entries. Kubernetes objects hold no aliases; a document that expands past its own size by
 * this much is refused, as the `yaml` package's maxAliasCount did.
 */
const MAX_ALIAS_EXPANSION = 1_000_000;

function expandedSizeExceeds(value: unknown, max: number): boolean {
  if (max === Infinity) return false;
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (++count > max) return true;
    if (v !== null && typeof v === 'object') for (const child of Array.isArray(v) ? v : Object.values(v)) pending.push(child);
  }
  return false;
}

/**
 * Parses one file's text into objects; `kind: List` is flattened. YAML 1.2's core schema, so that values
 * that look like dates or YAML 1.1 booleans stay the strings Kubernetes would see. (js-yaml: an order of
 * magnitude faster than a full document model at 10,000 files.)
 */
export function parseManifestText(file: string, text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  let docs: unknown[];
  try {
    docs = jsYaml.loadAll(text, null, { filename: file, schema: jsYaml.CORE_SCHEMA });
  } catch (err) {
    const e = err as { mark?: { line?: number }; reason?: string; message: string };
    const document = e.mark?.line !== undefined ? documentAt(text, e.mark.line) : undefined;
    throw new ManifestError(file, document, (e.reason ?? e.message).split('\n')[0]!);
  }
  // Without an alias (`*name`) a document cannot stand for more values than its text has characters.
  const maxValues = text.includes('*') ? MAX_ALIAS_EXPANSION + text.length : Infinity;
  docs.forEach((value, index) => {
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ManifestError(file, index + 1, 'a document must be a Kubernetes object (a mapping)');
    }
    if (expandedSizeExceeds(value, maxValues)) {
      throw new ManifestError(file, index + 1, `YAML aliases expand this document to more than ${maxValues} values; refused`);
    }
    const obj = value as KubeObject & { items?: unknown };
    if (obj.kind === 'List' || (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items))) {
      for (const item of (obj.items as unknown[]) ?? []) {
        if (item && typeof item === 'object') objects.push(item as KubeObject);
      }
      return;
    }
    objects.push(obj);
  });
  return objects;
}

/**
 * Synchronous read on purpose: manifests are small files, and at 10,000 of them readFileSync took 130 ms
 * where promise reads (open, fstat, read, close, each through the thread pool) took 580 ms, 16 at a time.
 */
export function readManifestFileSync(file: string): KubeObject[] {
  return parseManifestText(file, readRegularFileSync(file, MAX_MANIFEST_FILE_BYTES));
}

/**
 * A regular file's text, at most `maxBytes`. Opened non-blocking and checked on the open descriptor, so
 * that a FIFO (whose open and read would wait for a writer forever) or a device swapped in after a
 * listing is refused instead of read; the read stops one byte past the cap, so a file that grows (or
 * lies about its size) cannot be read without end.
 */
function readRegularFileSync(file: string, maxBytes: number): string {
  const cannotRead = (err: unknown) => new ManifestError(file, undefined, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw cannotRead(err);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new NotRegularFileError(file);
    const tooLarge = () => new ManifestError(file, undefined, `larger than ${maxBytes / 1024 / 1024} MiB: refused`);
    if (info.size > maxBytes) throw tooLarge();
    // Sized from fstat, grown if the file grows while it is read, never past the cap plus one byte.
    let buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) throw tooLarge();
        const grown = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(grown);
        buffer = grown;
      }
      let n: number;
      try {
        n = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (err) {
        throw cannotRead(err);
      }
      if (n === 0) break;
      length += n;
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

export async function readManifestFile(file: string): Promise<KubeObject[]> {
  return readManifestFileSync(file);
}

/** Reads every object from files and directories, in a stable order. */
export async function readManifests(paths: string[], onSkip?: SkippedFile): Promise<KubeObject[]> {
  const files: string[] = [];
  for (const path of paths) files.push(...(await listManifestFiles(path, onSkip)));
  // In name order, so the first bad file is the one reported.
  const objects: KubeObject[] = [];
  for (const file of files) for (const obj of readManifestFileSync(file)) objects.push(obj);
  return objects;
}
