import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Template sources by name (`nginx.conf`, `server`, `annotations/cors`, ...). */
export type TemplateSources = ReadonlyMap<string, string>;

/** templates/ beside the package, whether running from src/ (tests) or dist/ (installed). */
export function defaultTemplateDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..', '..', 'templates');
}

export async function loadTemplateSources(dir: string = defaultTemplateDir()): Promise<TemplateSources> {
  const sources = new Map<string, string>();
  async function walk(current: string): Promise<void> {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.hbs')) {
        sources.set(relative(dir, full).replace(/\\/g, '/').replace(/\.hbs$/, ''), await readFile(full, 'utf8'));
      }
    }
  }
  await walk(dir);
  return sources;
}
