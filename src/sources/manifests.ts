import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
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

/** Parses one file's text into objects; `kind: List` is flattened. */
export function parseManifestText(file: string, text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(docs)) return objects; // an empty stream
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      throw new ManifestError(file, index + 1, doc.errors[0]!.message.split('\n')[0]!);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ManifestError(file, index + 1, 'a document must be a Kubernetes object (a mapping)');
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

export async function readManifestFile(file: string): Promise<KubeObject[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ManifestError(file, undefined, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseManifestText(file, text);
}

/** Reads every object from files and directories, in a stable order. */
export async function readManifests(paths: string[]): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  for (const path of paths) {
    for (const file of await listManifestFiles(path)) objects.push(...(await readManifestFile(file)));
  }
  return objects;
}
