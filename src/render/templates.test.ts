import { describe, expect, test } from '@jest/globals';
import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRenderer } from './render.js';
import { defaultTemplateDir, loadTemplateSources, MOVED_TEMPLATES, oldLayoutProblem } from './templates.js';

describe('template layout', () => {
  test('the shipped templates have the current layout, and every moved template exists where the list says', async () => {
    const sources = await loadTemplateSources();
    expect(oldLayoutProblem(sources)).toBeUndefined();
    for (const [, now] of MOVED_TEMPLATES) expect(sources.has(now.replace(/\.hbs$/, ''))).toBe(true);
  });

  test('a --template-dir of the old layout is refused, naming each old file and where it went', async () => {
    // A copy of today's templates put back into the old layout, as a directory copied from an older release.
    const dir = await mkdtemp(join(tmpdir(), 'portico-old-templates-'));
    try {
      await cp(defaultTemplateDir(), dir, { recursive: true });
      for (const [old, now] of MOVED_TEMPLATES) {
        await mkdir(join(dir, old, '..'), { recursive: true });
        await rename(join(dir, now), join(dir, old));
      }
      await mkdir(join(dir, 'annotations', 'location'), { recursive: true });
      await cp(join(dir, 'annotations/location/cors.hbs'), join(dir, 'annotations/location/my-family.hbs'));
      await rm(join(dir, 'features'), { recursive: true });
      const sources = await loadTemplateSources(dir);
      const problem = oldLayoutProblem(sources)!;
      expect(problem).toMatch(/^templates: this directory has the old layout/);
      expect(problem).toContain('  annotations/location/auth-external.hbs -> features/auth-url/location.hbs');
      expect(problem).toContain('  annotations/http/00-status.hbs -> status.hbs');
      expect(problem).toContain('  annotations/location/my-family.hbs -> features/my-family/location.hbs');
      expect(() => compileRenderer(sources)).toThrow(problem);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
