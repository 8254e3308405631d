import { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { materializeStateFiles, renderSnapshot } from '../pipeline.js';
import { compileRenderer } from '../render/render.js';
import { loadTemplateSources } from '../render/templates.js';
import { rejectionLine, warningLine } from '../report/messages.js';
import { ManifestError, readManifests } from '../sources/manifests.js';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { KubeObject } from '../store/types.js';
import { addCommonFlags, modelOptionsFrom, type CommonFlags } from './options.js';

export const EXIT_OK = 0;
export const EXIT_USAGE = 2;
export const EXIT_REJECTED = 3;

export class ExitError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

async function readManifestsOrExit(paths: string[]): Promise<KubeObject[]> {
  try {
    return await readManifests(paths);
  } catch (err) {
    if (err instanceof ManifestError) throw new ExitError(EXIT_USAGE, `portico render: ${err.message}`);
    throw err;
  }
}

export function renderCommand(): Command {
  const cmd = new Command('render').description('render manifests into a complete nginx.conf, without a cluster');
  addCommonFlags(cmd, true).option('--out <file>', 'write nginx.conf here instead of stdout');
  cmd.action(async (flags: CommonFlags & { out?: string }) => {
    const options = modelOptionsFrom(flags);
    const renderer = compileRenderer(await loadTemplateSources(flags.templateDir));
    // The objects read are not kept in this scope: once the model is built, only it is needed.
    const { model, text } = renderSnapshot(snapshotFromObjects(await readManifestsOrExit(flags.manifests ?? [])), options, renderer);
    await materializeStateFiles(model);
    if (flags.out) await writeFile(flags.out, text, { mode: 0o644 });
    else process.stdout.write(text);
    for (const w of model.warnings) process.stderr.write(`${warningLine(w)}\n`);
    for (const r of model.rejections) process.stderr.write(`${rejectionLine(r)}\n`);
    if (model.rejections.length > 0) process.exitCode = EXIT_REJECTED;
  });
  return cmd;
}
