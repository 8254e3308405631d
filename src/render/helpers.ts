import type Handlebars from 'handlebars';
import { isIP } from 'node:net';
/**
 * Template helpers: the second layer of defence. Validators already allowlisted every value; these
 * quote and escape it anyway, and refuse control characters outright, so that a validator bug alone
 * cannot inject a directive.
 */

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

const CONTROL_RE = /[\x00-\x1f\x7f]/;

/** An nginx double-quoted string: backslash and quote escaped, no control characters. */
export function quote(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new RenderError(`cannot quote a ${value === null ? 'null' : typeof value} value`);
  }
  const s = String(value);
  if (CONTROL_RE.test(s)) throw new RenderError(`refusing to render a value with a control character: ${JSON.stringify(s)}`);
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A bare integer (ports, sizes, counts). */
export function integer(value: unknown): string {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new RenderError(`not an integer: ${JSON.stringify(value)}`);
  return String(value);
}

/** A bare nginx token for values that cannot be quoted (location modifiers, upstream names). */
export function token(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.:~*^=\-[\]/]*$/.test(value)) {
    throw new RenderError(`not a safe nginx token: ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * An IP address as nginx reads it where a port may follow (`server`): IPv6 in brackets. Only
 * what net.isIP accepts, without a zone id (`fe80::1%eth0`), which nginx cannot parse.
 */
export function ipAddress(value: unknown): string {
  if (typeof value !== 'string' || value.includes('%') || isIP(value) === 0) throw new RenderError(`not an IP address nginx can write: ${JSON.stringify(value)}`);
  return isIP(value) === 6 ? `[${value}]` : value;
}

/** `ADDRESS:PORT` for an upstream `server` line and for an endpoint push: `10.0.0.1:80`, `[fd00::1]:80`. */
export function socketAddress(address: unknown, port: unknown): string {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new RenderError(`not a port number: ${JSON.stringify(port)}`);
  return `${ipAddress(address)}:${port}`;
}

/**
 * Raw directives from a snippet annotation (the one place text from an Ingress is not quoted), indented by
 * `indent` spaces. The family's checkSnippet already refused it unless safe; this layer independently
 * refuses control characters, non-ASCII, unbalanced braces and the most dangerous directives.
 */
export function snippet(value: unknown, indent: unknown): string {
  if (typeof value !== 'string') throw new RenderError(`not a snippet: ${JSON.stringify(value)}`);
  if (/[^\x20-\x7e\n\t]/.test(value)) throw new RenderError('refusing to render a snippet with a control or non-ASCII character');
  if ((value.match(/{/g) ?? []).length !== (value.match(/}/g) ?? []).length) throw new RenderError('refusing to render a snippet with unbalanced braces');
  if (/\b(load_module|ssl_engine|include)\b|_by_lua/i.test(value)) throw new RenderError('refusing to render a snippet with a forbidden directive');
  const pad = ' '.repeat(typeof indent === 'number' && indent >= 0 && indent <= 32 ? indent : 0);
  return value
    .split('\n')
    .map((line) => (line.trim() === '' ? '' : pad + line.trim()))
    .join('\n');
}

/** Blank lines left by skipped conditionals make the config harder to read. */
export function squeezeBlankLines(text: string): string {
  return text.replace(/\n[ \t]*(?=\n)/g, '\n').replace(/\n{3,}/g, '\n\n');
}

/**
 * `{{#block}}...{{/block}}`: one server or upstream rendered as one flat string. Handlebars joins a
 * template's pieces with `+`, and at 10,000 Ingresses the whole config as one rope of millions of pieces
 * was the render's peak memory; flattening block by block lets each block's pieces be collected young.
 */
function block(this: unknown, options: Handlebars.HelperOptions): string {
  return squeezeBlankLines(options.fn(this));
}

export const HELPERS = {
  block,
  snippet,
  q: quote,
  int: integer,
  tok: token,
  hostport: (address: unknown, port: unknown) => socketAddress(address, port),
  eq: (a: unknown, b: unknown) => a === b,
  ne: (a: unknown, b: unknown) => a !== b,
  or: (...args: unknown[]) => args.slice(0, -1).some(Boolean),
  and: (...args: unknown[]) => args.slice(0, -1).every(Boolean),
  not: (a: unknown) => !a,
};
