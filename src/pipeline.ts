import { prepareStateDir, ensureSelfSignedCertificate, writeStateFiles } from './apply/state-dir.js';
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

/** model → text: the pure middle of the pipeline that `render` and `run` share. */
export function renderSnapshot(snapshot: Snapshot, options: ModelOptions, renderer: ConfigRenderer): RenderedConfig {
  const model = buildModel(snapshot, options);
  return { model, text: renderer(model) };
}

/** nginx/ at the package root, from src/ (tests) as from dist/ (the built CLI). */
const LUA_SOURCE = new URL('../nginx/portico_endpoints.lua', import.meta.url);

/** Writes what the config refers to (certificates, credentials, the fallback certificate, Lua code) below the state dir. */
export async function materializeStateFiles(model: NginxModel): Promise<void> {
  await prepareStateDir(model.options.stateDir);
  if (model.defaultCertificate.source === 'self-signed') await ensureSelfSignedCertificate(model.options.stateDir);
  await writeStateFiles(model.options.stateDir, model.files);
  if (dynamicEndpointsOn(model.options)) {
    // Not a secret; nginx workers load it.
    const content = await readFile(LUA_SOURCE, 'utf8');
    await writeStateFiles(model.options.stateDir, [{ path: `${LUA_DIR}/portico_endpoints.lua`, content, mode: 0o644, readByWorkers: true }]);
  }
}
