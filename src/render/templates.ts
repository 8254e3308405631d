import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Template sources by name (`nginx.conf`, `server`, `features/cors/location`, ...). */
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

/**
 * Where each template of the layout before features/ went (templates/annotations/<level>/<family>.hbs):
 * a --template-dir copied from an older release is refused with this list rather than half used.
 */
export const MOVED_TEMPLATES: ReadonlyArray<readonly [string, string]> = [
  ['annotations/http/00-status.hbs', 'status.hbs'],
  ['annotations/http/affinity.hbs', 'features/affinity/http.hbs'],
  ['annotations/http/auth-external.hbs', 'features/auth-url/http.hbs'],
  ['annotations/http/canary.hbs', 'features/canary/http.hbs'],
  ['annotations/http/forwarding.hbs', 'features/forwarded-headers/http.hbs'],
  ['annotations/http/proxy.hbs', 'features/proxy/http.hbs'],
  ['annotations/http/rate-limit.hbs', 'features/rate-limit/http.hbs'],
  ['annotations/http/redirect.hbs', 'features/redirect/http.hbs'],
  ['annotations/http/ssl-redirect.hbs', 'features/ssl-redirect/http.hbs'],
  ['annotations/server/app-root.hbs', 'features/app-root/server.hbs'],
  ['annotations/server/auth-external.hbs', 'features/auth-url/server.hbs'],
  ['annotations/server/custom-http-errors.hbs', 'features/custom-http-errors/server.hbs'],
  ['annotations/server/snippet.hbs', 'features/snippet/server.hbs'],
  ['annotations/location/affinity.hbs', 'features/affinity/location.hbs'],
  ['annotations/location/auth-basic.hbs', 'features/auth-basic/location.hbs'],
  ['annotations/location/auth-external.hbs', 'features/auth-url/location.hbs'],
  ['annotations/location/cors.hbs', 'features/cors/location.hbs'],
  ['annotations/location/custom-http-errors.hbs', 'features/custom-http-errors/location.hbs'],
  ['annotations/location/proxy.hbs', 'features/proxy/location.hbs'],
  ['annotations/location/rate-limit.hbs', 'features/rate-limit/location.hbs'],
  ['annotations/location/redirect.hbs', 'features/redirect/location.hbs'],
  ['annotations/location/snippet.hbs', 'features/snippet/location.hbs'],
  ['annotations/location/source-range.hbs', 'features/source-range/location.hbs'],
  ['annotations/location/ssl-redirect.hbs', 'features/ssl-redirect/location.hbs'],
  ['annotations/location/upstream-headers.hbs', 'features/upstream-vhost/location.hbs'],
];

/**
 * Why these sources cannot be used: a template directory of the old layout (annotations/) would render
 * without the moved partials, silently dropping every feature's directives. Undefined for the current layout.
 */
export function oldLayoutProblem(sources: TemplateSources): string | undefined {
  const old = [...sources.keys()].filter((name) => name.startsWith('annotations/')).sort();
  if (old.length === 0) return undefined;
  const moved = new Map(MOVED_TEMPLATES);
  const lines = old.map((name) => {
    const file = `${name}.hbs`;
    const known = moved.get(file);
    if (known) return `  ${file} -> ${known}`;
    const m = /^annotations\/(http|server|location)\/(.+)\.hbs$/.exec(file);
    return m ? `  ${file} -> features/${m[2]}/${m[1]}.hbs` : `  ${file}: not read any more`;
  });
  return `templates: this directory has the old layout (annotations/<level>/<family>.hbs); templates moved to features/<feature>/<level>.hbs (see README, "Templates"):\n${lines.join('\n')}`;
}
