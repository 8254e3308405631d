import { AnnotationError, type AnnotationFamily, type AnnotationInput } from '../../src/model/annotations/types.js';

export interface FamilyResult<T> {
  result?: T;
  error?: AnnotationError;
  warnings: string[];
}

/**
 * Runs one annotation family's parser on plain annotations (keys without the prefix), the way the model
 * does: an invalid value comes back as `error`, warnings are collected. `extra` fills the other fields of
 * the input that a family reads (ref, options, snapshot, addFile...).
 */
export function parseFamily<T>(family: AnnotationFamily<T>, annotations: Record<string, string>, extra: Record<string, unknown> = {}): FamilyResult<T> {
  const warnings: string[] = [];
  const input = { get: (k: string) => annotations[k], warn: (m: string) => warnings.push(m), ...extra } as unknown as AnnotationInput;
  try {
    return { result: family.parse(input), warnings };
  } catch (err) {
    if (err instanceof AnnotationError) return { error: err, warnings };
    throw err;
  }
}
