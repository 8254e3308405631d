import { parseBool } from '../validate.js';
import { AnnotationError, type AnnotationInput } from './types.js';

/** A boolean annotation: "true" or "false", or undefined when the Ingress does not set it. */
export function boolAnnotation(input: AnnotationInput, key: string): boolean | undefined {
  const raw = input.get(key);
  if (raw === undefined) return undefined;
  const b = parseBool(raw);
  if (b === undefined) throw new AnnotationError(key, 'must be "true" or "false"');
  return b;
}

/** A whole number annotation within [min, max], or undefined when not set. */
export function intAnnotation(input: AnnotationInput, key: string, min: number, max: number): number | undefined {
  const raw = input.get(key);
  if (raw === undefined) return undefined;
  const v = raw.trim();
  if (!/^\d{1,9}$/.test(v)) throw new AnnotationError(key, 'must be a whole number');
  const n = Number(v);
  if (n < min || n > max) throw new AnnotationError(key, `must be from ${min} to ${max}`);
  return n;
}

/** Absolute http(s) URL characters: RFC 3986 without quotes, `$`, spaces, braces, `;`, `#` is allowed for fragments. */
const URL_RE = /^https?:\/\/[A-Za-z0-9\-._~%!&()*+,=:@/?#[\]]+$/;

/** An absolute http or https URL with a host (what ingress-nginx accepts for permanent/temporal redirects). */
export function checkRedirectURL(value: string): string | undefined {
  if (value.length > 2048) return 'longer than 2048 characters';
  if (!/^https?:\/\//.test(value)) return 'must be an absolute http:// or https:// URL';
  if (!/^https?:\/\/[A-Za-z0-9[]/.test(value)) return 'must name a host after the scheme';
  if (!URL_RE.test(value)) return 'only URL characters are allowed (no spaces, quotes, "$", ";", braces or backslashes)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a valid URL';
  }
  if (!url.hostname) return 'must name a host';
  return undefined;
}
