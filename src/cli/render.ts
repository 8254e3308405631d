import { Command } from 'commander';
import { open } from 'node:fs/promises';
import { materializeStateFiles, removeStateFilesNotUsedBy, renderSnapshot, stateDirProblem, withFileNameKey } from '../pipeline.js';
import { compileRenderer } from '../render/render.js';
import { loadTemplateSources } from '../render/templates.js';
import { rejectionLine, warningLine } from '../report/messages.js';
import { withDefaultNamespace } from '../sources/default-namespace.js';
import { ManifestError, readManifests } from '../sources/manifests.js';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { KubeObject } from '../store/types.js';
import { EXIT_REJECTED, EXIT_USAGE, ExitError } from './exit.js';
import { addCommonFlags, modelOptionsFrom, type CommonFlags } from './options.js';


async function readManifestsOrExit(paths: string[], namespace: string): Promise<KubeObject[]> {
  try {
    const skipped = (path: string, reason: string) => process.stderr.write(`warning: ${path}: ${reason}\n`);
    return withDefaultNamespace(await readManifests(paths, skipped), namespace);
  } catch (err) {
    if (err instanceof ManifestError) throw new ExitError(EXIT_USAGE, `portico render: ${err.message}`);
    throw err;
  }
}

/** Encodes and writes 1 MiB at a time: a 15 MB config is not copied into one more buffer at the peak. */
async function writeTextInSlices(path: string, text: string): Promise<void> {
  const file = await open(path, 'w', 0o644);
  try {
    for (let start = 0; start < text.length; ) {
      let end = Math.min(start + (1 << 20), text.length);
      // Never split a surrogate pair between two slices.
      if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
      await file.write(text.slice(start, end));
      start = end;
    }
  } finally {
    await file.close();
  }
}

export function renderCommand(): Command {
  const cmd = new Command('render').description('render manifests into a complete nginx.conf, without a cluster');
  addCommonFlags(cmd, true).option('--out <file>', 'write nginx.conf here instead of stdout');
  cmd.action(async (flags: CommonFlags & { out?: string }) => {
    const options = await withFileNameKey(modelOptionsFrom(flags));
    const renderer = compileRenderer(await loadTemplateSources(flags.templateDir));
    // The objects read are not kept in this scope: once the model is built, only it is needed.
    const { model, text } = renderSnapshot(snapshotFromObjects(await readManifestsOrExit(flags.manifests ?? [], flags.namespace)), options, renderer);
    const problem = await stateDirProblem(options.stateDir, text);
    if (problem) throw new ExitError(EXIT_USAGE, `portico render: ${problem}`);
    await materializeStateFiles(model);
    if (flags.out) await writeTextInSlices(flags.out, text);
    else process.stdout.write(text);
    // The config is written: files of deleted Secrets and Ingresses from earlier renders go.
    await removeStateFilesNotUsedBy(model);
    for (const w of model.warnings) process.stderr.write(`${warningLine(w)}\n`);
    for (const r of model.rejections) process.stderr.write(`${rejectionLine(r)}\n`);
    if (model.rejections.length > 0) process.exitCode = EXIT_REJECTED;
  });
  return cmd;
}
