import { AnnotationError, type AnnotationInput, type Feature } from '../../src/features/feature.js';
import { fieldOf } from '../../src/features/registry.js';

export interface FamilyResult<T> {
  result?: T;
  error?: AnnotationError;
  warnings: string[];
}

/**
 * Runs one feature's parser on plain annotations (keys without the prefix), the way the model does: an
 * invalid value comes back as `error`, warnings are collected. `extra` fills the other fields of the input
 * that a feature reads (ref, options, snapshot, addFile, config...); the feature's globals are its field of
 * `extra.config` when given, else its defaults.
 */
export function parseFamily<T, G extends object>(feature: Feature<T, G>, annotations: Record<string, string>, extra: Record<string, unknown> = {}): FamilyResult<T> {
  const warnings: string[] = [];
  const input = { get: (k: string) => annotations[k], warn: (m: string) => warnings.push(m), ...extra } as unknown as AnnotationInput;
  const config = extra.config as Record<string, unknown> | undefined;
  const globals = (config?.[fieldOf(feature as unknown as Feature<unknown, object>)] ?? feature.globals?.defaults ?? {}) as G;
  try {
    return { result: feature.parse(input, globals), warnings };
  } catch (err) {
    if (err instanceof AnnotationError) return { error: err, warnings };
    throw err;
  }
}
