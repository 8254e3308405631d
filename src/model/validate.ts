import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { checkAuthorRegex, PATH_DIALECT } from './regex.js';

/**
 * Allowlists for every value that can reach nginx.conf. A validator returns an error reason or undefined.
 * They are deliberately narrower than what Kubernetes accepts: the template helpers quote and escape as a
 * second, independent layer, so a value has to get past both to change the meaning of the config.
 */

const DNS_LABEL = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?';
const DNS_SUBDOMAIN_RE = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);
const DNS_LABEL_RE = new RegExp(`^${DNS_LABEL}$`);

/** Control characters, and anything outside printable ASCII: look-alike unicode never reaches the config. */
const UNSAFE_CHARS_RE = /[^\x20-\x7e]/;

export function describeBadChar(value: string): string {
  const match = /[^\x20-\x7e]|[\s"'`;{}#\\$]/.exec(value);
  if (!match) return 'invalid value';
  const ch = match[0];
  const code = ch.codePointAt(0)!;
  const shown = code < 0x20 || code > 0x7e ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(ch);
  return `character ${shown} is not allowed`;
}

/** Names the first character after the leading "/" that `allowedChar` (one character) does not match. */
function describeCharOutside(value: string, allowedChar: RegExp): string {
  for (const ch of value.slice(1)) {
    if (allowedChar.test(ch)) continue;
    const code = ch.codePointAt(0)!;
    return `character ${code < 0x20 || code > 0x7e ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(ch)} is not allowed`;
  }
  return describeBadChar(value);
}

/**
 * Kubernetes' object names (IsDNS1123Subdomain): at most 253 characters of lowercase DNS labels joined by
 * ".", with no 63-character limit on a label (that limit is for host names, checkHost).
 */
const OBJECT_NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export function checkObjectName(value: string | undefined): string | undefined {
  if (!value) return 'must not be empty';
  if (value.length > 253) return 'longer than 253 characters';
  if (!OBJECT_NAME_RE.test(value)) return 'must be a lowercase DNS subdomain (a-z, 0-9, "-" and ".")';
  return undefined;
}

/**
 * The stem of an object's state files (an Ingress's htpasswd, a Secret's PEM): `NAMESPACE_NAME`, short enough for one path component
 * (255 bytes on Linux, with room for the suffix and the temp-file suffix). A 63-character namespace and a
 * 253-character name do not fit, so long ones keep 100 characters of the name plus a digest of both; "~"
 * appears in no Kubernetes name, so a shortened stem never equals another Ingress's full one.
 */
export function objectFileStem(namespace: string, name: string): string {
  const full = `${namespace}_${name}`;
  if (full.length <= 160) return full;
  const digest = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 16);
  return `${namespace}_${name.slice(0, 100)}~${digest}`;
}

export function checkNamespace(value: string | undefined): string | undefined {
  if (!value) return 'must not be empty';
  if (value.length > 63 || !DNS_LABEL_RE.test(value)) return 'must be a lowercase DNS label (a-z, 0-9 and "-")';
  return undefined;
}

/** A Service port name (IANA_SVC_NAME) or an EndpointSlice port name. */
export function checkPortName(value: string): string | undefined {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(value)) return 'must be a lowercase DNS label';
  return undefined;
}

export function checkPortNumber(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    return 'must be an integer from 1 to 65535';
  }
  return undefined;
}

/** An Ingress host: a DNS name, optionally with a leading `*.` wildcard label. */
export function checkHost(value: string): string | undefined {
  if (value.length > 253) return 'longer than 253 characters';
  if (UNSAFE_CHARS_RE.test(value)) return describeBadChar(value);
  const name = value.startsWith('*.') ? value.slice(2) : value;
  if (!DNS_SUBDOMAIN_RE.test(name)) return 'must be a lowercase DNS name, optionally starting with "*."';
  if (isIP(name)) return 'must be a DNS name, not an IP address';
  return undefined;
}

/** Characters a literal (non-regex) path may hold: RFC 3986 path characters without quotes, `;` and `$`. */
const LITERAL_PATH_RE = /^\/[A-Za-z0-9\-._~%!&()*+,=:@/]*$/;

export function checkLiteralPath(value: string): string | undefined {
  if (!value.startsWith('/')) return 'must start with "/"';
  if (value.length > 2048) return 'longer than 2048 characters';
  if (!LITERAL_PATH_RE.test(value)) return describeBadChar(value);
  if (/(^|\/)\.\.?(\/|$)/.test(value)) return 'must not contain "." or ".." segments';
  return undefined;
}

/** A regex path adds regex syntax; still no whitespace, quotes, `;`, `#` or anything outside printable ASCII. */
const REGEX_PATH_CHAR = /[A-Za-z0-9\-._~%!&()*+,=:@/^$|?[\]{}\\]/;
const REGEX_PATH_RE = new RegExp(`^\\/${REGEX_PATH_CHAR.source}*$`);

export function checkRegexPath(value: string): string | undefined {
  if (!value.startsWith('/')) return 'must start with "/"';
  if (value.length > 2048) return 'longer than 2048 characters';
  if (!REGEX_PATH_RE.test(value)) return describeCharOutside(value, REGEX_PATH_CHAR);
  // `$` only as an end anchor: anything else would be an nginx variable.
  if (/\$(?![)|]|$)/.test(value)) return '"$" is allowed only as an end-of-path anchor';
  // The grammar nginx's PCRE2 and the controller read alike, and no pattern that backtracks super-linearly.
  return checkAuthorRegex(value, PATH_DIALECT);
}



/** Parses a Kubernetes-style boolean annotation value. */
export function parseBool(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

/** Seconds as ingress-nginx writes them: `60` or `60s`. */
export function parseSeconds(value: string): number | undefined {
  const m = /^(\d{1,6})s?$/.exec(value.trim());
  return m ? Number(m[1]) : undefined;
}

/**
 * Characters that could carry text into nginx.conf (quotes, `;`, braces, `$`, `#`, backslash, whitespace,
 * anything outside printable ASCII). A malformed value made only of other characters can safely fall back
 * to the default; one holding these is refused as a whole, as before (never loosen an allowlist).
 */
export const INJECTION_CHARS_RE = /[^\x20-\x7e]|[\s"'`;{}#\\$]/;

/** A header name nginx exposes as `$http_NAME`: letters, digits and "-" (nginx drops headers with "_" by default). */
const HEADER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;
/**
 * A cookie name: an RFC 6265 token (letters, digits and !#%&'*+-.^_`|~), as ingress-nginx accepts, except
 * "$" (RFC 2109 reserves $-names, and here it would read as an nginx variable). Names of letters, digits and
 * "_" are read through nginx's `$cookie_NAME`; others through a map on the Cookie header (cookieSource).
 */
const COOKIE_NAME_RE = /^[A-Za-z0-9!#%&'*+\-.^_`|~]{1,128}$/;
export function checkHeaderName(value: string): string | undefined {
  return HEADER_NAME_RE.test(value) ? undefined : 'must be a header name of letters, digits and "-"';
}

export function checkCookieName(value: string): string | undefined {
  if (value.includes('$')) return 'must not contain "$"';
  return COOKIE_NAME_RE.test(value) ? undefined : 'must be a cookie name (an RFC 6265 token: letters, digits and !#%&\'*+-.^_`|~, at most 128)';
}

export function isAllowedVariable(name: string, allowed: ReadonlySet<string>, families: RegExp): boolean {
  return allowed.has(name) || families.test(name);
}

/**
 * Splits an nginx string into text and `$name` / `${name}` variables; returns a reason when a variable is not
 * allowed or the text holds a character outside `textRe`.
 */
export function checkVariableText(value: string, textRe: RegExp, allowed: (name: string) => boolean): string | undefined {
  const re = /\$\{([A-Za-z0-9_]*)\}|\$([A-Za-z0-9_]*)/g;
  let last = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const text = value.slice(last, m.index);
    if (!textRe.test(text)) return `text ${JSON.stringify(text)} holds a character that is not allowed`;
    const name = m[1] ?? m[2] ?? '';
    if (name === '') return '"$" must start an nginx variable name';
    if (!allowed(name)) return `variable $${name} is not allowed`;
    last = m.index + m[0].length;
  }
  const rest = value.slice(last);
  if (!textRe.test(rest)) return `text ${JSON.stringify(rest)} holds a character that is not allowed`;
  return undefined;
}

/** Address characters only: digits, hex letters, `.`, `:` and `/`. */
const CIDR_CHARS_RE = /^[0-9A-Fa-f.:/]+$/;

/** One address or CIDR; returns the normalised form or a reason. */
export function checkCidr(value: string): { cidr?: string; reason?: string } {
  if (!CIDR_CHARS_RE.test(value)) return { reason: `${JSON.stringify(value)}: ${/[^\x21-\x7e]|[\s"'`;{}#\\$]/.test(value) ? describeBadChar(value) : 'not an IP address or CIDR'}` };
  const [address, bits, extra] = value.split('/');
  if (extra !== undefined) return { reason: `${JSON.stringify(value)}: not an IP address or CIDR` };
  const family = isIP(address ?? '');
  if (family === 0) return { reason: `${JSON.stringify(value)}: not an IP address or CIDR` };
  if (bits !== undefined) {
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return { reason: `${JSON.stringify(value)}: prefix length must be from 0 to ${max}` };
    return { cidr: `${address!.toLowerCase()}/${Number(bits)}` };
  }
  return { cidr: address!.toLowerCase() };
}

/** A comma-separated list of CIDRs, as ingress-nginx takes them. */
export function parseCidrList(value: string): { cidrs: string[]; reason?: string } {
  const cidrs: string[] = [];
  for (const part of value.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const { cidr, reason } = checkCidr(item);
    if (reason) return { cidrs: [], reason };
    cidrs.push(cidr!);
  }
  if (cidrs.length > 1000) return { cidrs: [], reason: 'more than 1000 entries' };
  return { cidrs };
}

