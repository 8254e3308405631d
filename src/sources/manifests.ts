import { readFileSync } from 'node:fs';
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

export function isManifestFile(path: string): boolean {
  return MANIFEST_EXTENSIONS.some((ext) => path.toLowerCase().endsWith(ext));
}

/** Lists manifest files under a path: the file itself, or every manifest below a directory, sorted. */
export async function listManifestFiles(path: string): Promise<string[]> {
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
    if (entry.isDirectory()) files.push(...(await listManifestFiles(child)));
    else if (isManifestFile(entry.name)) files.push(child);
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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ManifestError(file, undefined, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseManifestText(file, text);
}

export async function readManifestFile(file: string): Promise<KubeObject[]> {
  return readManifestFileSync(file);
}

/** Reads every object from files and directories, in a stable order. */
export async function readManifests(paths: string[]): Promise<KubeObject[]> {
  const files: string[] = [];
  for (const path of paths) files.push(...(await listManifestFiles(path)));
  // In name order, so the first bad file is the one reported.
  const objects: KubeObject[] = [];
  for (const file of files) for (const obj of readManifestFileSync(file)) objects.push(obj);
  return objects;
}
