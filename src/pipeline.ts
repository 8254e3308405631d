import { prepareStateDir, ensureSelfSignedCertificate, writeStateFiles } from './apply/state-dir.js';
import { buildModel } from './model/build.js';
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

/** Writes what the config refers to (certificates, credentials, the fallback certificate) below the state dir. */
export async function materializeStateFiles(model: NginxModel): Promise<void> {
  await prepareStateDir(model.options.stateDir);
  if (model.defaultCertificate.source === 'self-signed') await ensureSelfSignedCertificate(model.options.stateDir);
  await writeStateFiles(model.options.stateDir, model.files);
}
