import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTemplateDir } from '../../src/render/templates.js';

/** A copy of templates/ in a temporary directory, with some files replaced (name relative to it → text). */
export async function templateCopy(extra: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-templates-'));
  await cp(defaultTemplateDir(), dir, { recursive: true });
  for (const [name, text] of Object.entries(extra)) await writeFile(join(dir, name), text);
  return dir;
}
