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

/**
 * Characters that could carry text into nginx.conf (quotes, `;`, braces, `$`, `#`, backslash, whitespace,
 * anything outside printable ASCII). A malformed value made only of other characters can safely fall back
 * to the default; one holding these is refused as a whole, as before (never loosen an allowlist).
 */
export const INJECTION_CHARS_RE = /[^\x20-\x7e]|[\s"'`;{}#\\$]/;

/**
 * ingress-nginx ignores a malformed value of many keys and uses its default (its parsers log a warning and
 * carry on). Portico does the same with a warning line / Warning Event, unless the value holds characters that
 * could carry text into nginx.conf: then the Ingress is rejected, naming the key and the character.
 * `allowed` widens the safe characters for list values (e.g. the spaces between proxy-next-upstream conditions).
 * Returns undefined: the caller uses its default.
 */
export function fallBack(input: Pick<AnnotationInput, 'warn'>, key: string, raw: string, reason: string, fallback: string, allowed?: RegExp): undefined {
  // ".." too: a value that looks like a path traversal is refused, never quietly replaced.
  const unsafe = allowed ? !allowed.test(raw) : INJECTION_CHARS_RE.test(raw.trim()) || raw.includes('..');
  if (unsafe) throw new AnnotationError(key, `${reason}; ${describeUnsafe(raw)}`);
  input.warn(`annotation ${key}: ${JSON.stringify(raw)} ${reason}; ${fallback} is used instead, as in ingress-nginx`);
  return undefined;
}

function describeUnsafe(value: string): string {
  const match = /[^\x20-\x7e]|[\s"'`;{}#\\$]/.exec(value.trim()) ?? /[^\x20-\x7e]|["'`;{}#\\$]/.exec(value);
  if (!match) return value.includes('..') ? '".." is not allowed' : 'only letters, digits and "_" are allowed';
  const code = match[0].codePointAt(0)!;
  const shown = code < 0x20 || code > 0x7e ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(match[0]);
  return `character ${shown} is not allowed`;
}
