import type { Snapshot } from '../../store/snapshot.js';
import type { Ingress } from '../../store/types.js';
import type { GlobalConfig } from '../config.js';
import type { IngressRef, ModelOptions, StateFile } from '../types.js';

/** What an annotation family's parser sees of one Ingress. */
export interface AnnotationInput {
  ingress: Ingress;
  ref: IngressRef;
  /** The value of `PREFIX/key`, or undefined when the Ingress does not set it. */
  get(key: string): string | undefined;
  snapshot: Snapshot;
  config: GlobalConfig;
  options: ModelOptions;
  /** Adds a file below the state dir (htpasswd, CA bundle); `path` must be built from validated names. */
  addFile(file: StateFile): void;
  /** A warning that does not reject the Ingress. */
  warn(message: string): void;
}

/** An invalid annotation value: the whole Ingress is rejected, naming the annotation and the reason. */
export class AnnotationError extends Error {
  constructor(
    /** The annotation key without prefix. */
    readonly annotation: string,
    readonly reason: string,
  ) {
    super(`${annotation}: ${reason}`);
    this.name = 'AnnotationError';
  }
}

/** Parses a global ConfigMap key into `config.extra`; returns a reason when the value is invalid. */
export type GlobalKeyParser = (extra: Record<string, unknown>, value: string) => string | undefined;

/**
 * One family of related annotations: the keys it owns (so the rest can be reported as unsupported),
 * its parser-and-validator, and the global ConfigMap keys it reads.
 */
export interface AnnotationFamily<T> {
  keys: readonly string[];
  parse(input: AnnotationInput): T;
  globalKeys?: Record<string, GlobalKeyParser>;
}
