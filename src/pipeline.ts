import { prepareStateDir, ensureSelfSignedCertificate, fileNameKey, removeUnusedStateFiles, resolveWorkerUser, workerAccessProblem, workerUserDirective, writeStateFiles } from './apply/state-dir.js';
import { readFile } from 'node:fs/promises';
import { buildModel } from './model/build.js';
import { dynamicEndpointsOn, LUA_DIR } from './model/dynamic-endpoints.js';
import type { ModelOptions, NginxModel } from './model/types.js';
import type { ConfigRenderer } from './render/render.js';
import type { Snapshot } from './store/snapshot.js';

export interface RenderedConfig {
  model: NginxModel;
  text: string;
}

/**
 * snapshot → model, with every owned Ingress accepted or rejected and the warnings: what `render` builds,
 * and what `audit` classifies Ingresses by (it must not read annotations a second way).
 */
export function modelOf(snapshot: Snapshot, options: ModelOptions): NginxModel {
  return buildModel(snapshot, options);
}

/** model → text: the pure middle of the pipeline that `render` and `run` share. */
export function renderSnapshot(snapshot: Snapshot, options: ModelOptions, renderer: ConfigRenderer): RenderedConfig {
  const model = modelOf(snapshot, options);
  return { model, text: renderer(model) };
}

/** nginx/ at the package root, from src/ (tests) as from dist/ (the built CLI). */
const LUA_SOURCE = new URL('../nginx/portico_endpoints.lua', import.meta.url);

const LUA_FILE = `${LUA_DIR}/portico_endpoints.lua`;

/**
 * Writes what the config refers to (certificates, credentials, the fallback certificate, Lua code) below
 * the state dir. The certificate and credential files are named by their content (model/state-files.ts),
 * so writing a candidate's files never changes one the config in force uses.
 */
export async function materializeStateFiles(model: NginxModel): Promise<void> {
  await prepareStateDir(model.options.stateDir);
  if (model.defaultCertificate.source === 'self-signed') await ensureSelfSignedCertificate(model.options.stateDir);
  await writeStateFiles(model.options.stateDir, model.files);
  if (dynamicEndpointsOn(model.options)) {
    // Not a secret; nginx workers load it.
    const content = await readFile(LUA_SOURCE, 'utf8');
    await writeStateFiles(model.options.stateDir, [{ path: LUA_FILE, content, mode: 0o644, readByWorkers: true }]);
  }
}

/** The state files (relative paths) the config of this model reads. */
export function stateFilesUsedBy(model: NginxModel): Set<string> {
  const used = new Set(model.files.map((f) => f.path));
  if (dynamicEndpointsOn(model.options)) used.add(LUA_FILE);
  return used;
}

/**
 * Once the config of `model` is in force (applied by run, written by render), the state files it does not
 * use are removed: private keys of deleted Secrets must not stay on disk. Returns the paths removed.
 */
export function removeStateFilesNotUsedBy(model: NginxModel): Promise<string[]> {
  return removeUnusedStateFiles(model.options.stateDir, stateFilesUsedBy(model));
}

/**
 * Creates the state dir and says why nginx's workers could not use it (see workerAccessProblem), for
 * the user the config (or the main template) names: render and run refuse to start on such a directory.
 */
export async function stateDirProblem(stateDir: string, configText: string): Promise<string | undefined> {
  await prepareStateDir(stateDir);
  return workerAccessProblem(stateDir, await resolveWorkerUser(workerUserDirective(configText)));
}

/** The options with the state dir's file name key (see ModelOptions.fileNameKey); creates the key once. */
export async function withFileNameKey(options: ModelOptions): Promise<ModelOptions> {
  return { ...options, fileNameKey: await fileNameKey(options.stateDir) };
}
