import { isIP } from 'node:net';
import { describeBadChar } from '../validate.js';
import { AnnotationError, type AnnotationFamily, type GlobalKeyParser } from './types.js';

/**
 * whitelist-source-range / allowlist-source-range / denylist-source-range: client address filtering
 * with nginx's access module (`deny` entries first, then `allow` entries and `deny all`). Requests from
 * other clients get 403. The global ConfigMap keys of the same names apply to Ingresses that set none.
 */
export interface SourceRangeAnnotation {
  /** CIDRs or addresses allowed; empty means everyone (unless denied). */
  allow: string[];
  /** CIDRs or addresses refused, checked before `allow`. */
  deny: string[];
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

const globalList =
  (field: string): GlobalKeyParser =>
  (extra, value) => {
    const { cidrs, reason } = parseCidrList(value);
    if (reason) return reason;
    extra[field] = cidrs;
    return undefined;
  };

export const sourceRangeFamily: AnnotationFamily<SourceRangeAnnotation> = {
  keys: ['whitelist-source-range', 'allowlist-source-range', 'denylist-source-range'],
  globalKeys: {
    'whitelist-source-range': globalList('whitelistSourceRange'),
    'allowlist-source-range': globalList('whitelistSourceRange'),
    'denylist-source-range': globalList('denylistSourceRange'),
  },
  parse(input) {
    const list = (key: string): string[] | undefined => {
      const raw = input.get(key);
      if (raw === undefined) return undefined;
      const { cidrs, reason } = parseCidrList(raw);
      if (reason) throw new AnnotationError(key, reason);
      return cidrs;
    };
    const allowlist = list('allowlist-source-range');
    const whitelist = list('whitelist-source-range');
    if (allowlist !== undefined && whitelist !== undefined) {
      input.warn('both allowlist-source-range and whitelist-source-range are set; allowlist-source-range is used');
    }
    const denylist = list('denylist-source-range');
    const extra = input.config.extra;
    return {
      allow: allowlist ?? whitelist ?? ((extra.whitelistSourceRange as string[] | undefined) ?? []),
      deny: denylist ?? ((extra.denylistSourceRange as string[] | undefined) ?? []),
    };
  },
};
