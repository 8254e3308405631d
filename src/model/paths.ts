import type { FeatureValues as IngressAnnotations } from './types.js';
import { checkRegexPath } from './validate.js';
import { compileRegex, PATH_DIALECT, type CompiledRegex } from './regex.js';
import type { Backend, IngressRef, Location, Rejection } from './types.js';
import { refString } from './types.js';

export const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'] as const;
export type PathType = (typeof PATH_TYPES)[number];

/** One path of one accepted Ingress on one host, before it becomes nginx locations. */
export interface PathEntry {
  ingress: IngressRef;
  /** Position in the global age order of Ingresses, then in the Ingress: lower wins a conflict. */
  rank: number;
  field: string;
  path: string;
  pathType: PathType;
  backend: Backend;
  annotations: IngressAnnotations;
  /** The Ingress only adds an alternative backend to the same path of another (a canary: Feature.secondary). */
  secondary: boolean;
  /** The URI a regex location rewrites to (rewrite-target: Feature.rewriteTarget), if any. */
  rewriteTarget: string | undefined;
  /** The canary Ingress's entry for the same path, set on the main entry. */
  canary?: PathEntry;
}

/** A Prefix path ignores a trailing slash: `/foo/` and `/foo` are the same rule. */
function normalizePrefix(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

function conflictKey(entry: PathEntry, regexMode: boolean): string {
  if (entry.pathType === 'Exact') return `exact:${entry.path}`;
  return regexMode ? `regex:${entry.path}` : `prefix:${normalizePrefix(entry.path)}`;
}

function describe(entry: PathEntry): string {
  return `${JSON.stringify(entry.path)} (${entry.pathType})`;
}

function location(entry: PathEntry, modifier: Location['modifier'], path: string): Location {
  return {
    modifier,
    path,
    ingressPath: entry.path,
    pathType: entry.pathType,
    ingress: entry.ingress,
    backend: entry.backend,
    annotations: entry.annotations,
    rewrite: undefined,
    redirectToHttps: false,
    hsts: false,
    canary: entry.canary ? { ingress: entry.canary.ingress, backend: entry.canary.backend, annotations: entry.canary.annotations } : undefined,
    affinity: undefined,
  };
}

/**
 * Turns one host's paths into nginx locations with the Ingress API's precedence.
 *
 * Literal mode: Exact → `location = /p`; Prefix `/p` → `location = /p` plus `location ^~ /p/`, which matches
 * whole path elements only and never triggers nginx's implicit 301 for the slash-less form (the exact
 * location answers it). nginx picks the longest prefix, and `=` beats a prefix at equal length.
 *
 * Regex mode (use-regex, or any rewrite-target on the host): Prefix and ImplementationSpecific paths become
 * case-insensitive regexes anchored at the start, as ingress-nginx does. nginx tries regexes in the order
 * they are written, so they are written longest path first (ties: oldest Ingress first); Exact paths stay `=`.
 */
export function buildLocations(
  entries: PathEntry[],
  host: string,
  regexMode: boolean,
  fallback: Backend = { kind: 'unavailable', status: 404, reason: 'no rule matches' },
): { locations: Location[]; rejections: Rejection[] } {
  const rejections: Rejection[] = [];
  const winners = new Map<string, PathEntry>();
  const canaries: PathEntry[] = [];
  for (const entry of [...entries].sort((a, b) => a.rank - b.rank)) {
    // A canary Ingress does not compete for its path: it adds the alternative backend of the main one.
    if (entry.secondary) {
      canaries.push(entry);
      continue;
    }
    const key = conflictKey(entry, regexMode);
    const owner = winners.get(key);
    if (owner) {
      const by = owner.ingress.namespace === entry.ingress.namespace && owner.ingress.name === entry.ingress.name
        ? 'an earlier path of the same Ingress'
        : `Ingress ${refString(owner.ingress)}, which is older`;
      rejections.push({
        ingress: entry.ingress,
        field: entry.field,
        reason: `path ${describe(entry)} on host ${JSON.stringify(host || '*')} is already served by ${by}`,
        whole: false,
      });
      continue;
    }
    winners.set(key, entry);
  }
  for (const entry of canaries) {
    const key = conflictKey(entry, regexMode);
    const main = winners.get(key);
    const where = `path ${describe(entry)} on host ${JSON.stringify(host || '*')}`;
    if (!main) {
      rejections.push({ ingress: entry.ingress, field: entry.field, reason: `canary: no main (non-canary) Ingress serves ${where}`, whole: false });
    } else if (main.ingress.namespace !== entry.ingress.namespace) {
      // Tenancy (README, Security): a canary takes traffic from its main Ingress, so only that Ingress's own
      // namespace may add one; otherwise any tenant could divert another's path with canary-weight: 100.
      rejections.push({
        ingress: entry.ingress,
        field: entry.field,
        reason: `canary: the main Ingress of ${where} is in namespace ${main.ingress.namespace}; a canary attaches only to an Ingress of its own namespace`,
        whole: false,
      });
    } else if (main.canary) {
      rejections.push({
        ingress: entry.ingress,
        field: entry.field,
        reason: `canary: ${where} already has the canary Ingress ${refString(main.canary.ingress)}, which is older (one canary per path)`,
        whole: false,
      });
    } else {
      winners.set(key, { ...main, canary: entry });
    }
  }

  const exact = new Set([...winners.values()].filter((e) => e.pathType === 'Exact').map((e) => e.path));
  const locations: Location[] = [];
  const regexLocations: Array<{ loc: Location; rank: number }> = [];
  for (const entry of winners.values()) {
    if (entry.pathType === 'Exact') {
      locations.push(location(entry, '=', entry.path));
      continue;
    }
    if (regexMode) {
      const loc = location(entry, '~*', `^${entry.path}`);
      if (entry.rewriteTarget !== undefined) loc.rewrite = { pattern: rewritePattern(entry.path), replacement: entry.rewriteTarget };
      regexLocations.push({ loc, rank: entry.rank });
      continue;
    }
    const prefix = normalizePrefix(entry.path);
    if (prefix === '/') {
      locations.push(location(entry, '^~', '/'));
      continue;
    }
    if (!exact.has(prefix)) locations.push(location(entry, '=', prefix));
    locations.push(location(entry, '^~', `${prefix}/`));
  }
  regexLocations.sort((a, b) => b.loc.ingressPath.length - a.loc.ingressPath.length || a.rank - b.rank);
  locations.push(...slashGuards(locations, regexLocations.map((r) => r.loc), fallback));
  locations.sort((a, b) => (a.modifier === '=' ? 0 : 1) - (b.modifier === '=' ? 0 : 1) || a.path.localeCompare(b.path));
  return { locations: [...locations, ...regexLocations.map((r) => r.loc)], rejections };
}

/** The nginx `rewrite` regex for a location: ingress-nginx anchors the path and matches case-insensitively. */
function rewritePattern(path: string): string {
  // Regex-mode paths passed checkRegexPath already (model/build.ts): this only guards against a caller that skipped it.
  const reason = checkRegexPath(path);
  if (reason) throw new Error(`rewrite-target: path ${JSON.stringify(path)}: ${reason}`);
  return `(?i)^${path}`;
}

/**
 * nginx answers `/foo` with a 301 to `/foo/` when a location `/foo/` (even an exact one) proxies, unless
 * a location for `/foo` exists. An Exact `/foo/` rule must not redirect `/foo`: it gets an exact `/foo`
 * location serving whatever the Ingress rules say `/foo` matches (a Prefix rule, a regex, or the fallback).
 */
function slashGuards(literal: Location[], regex: Location[], fallback: Backend): Location[] {
  const compiled = new Map<string, CompiledRegex>();
  const compiledPath = (path: string): CompiledRegex => {
    let re = compiled.get(path);
    if (!re) compiled.set(path, (re = compileRegex(path, PATH_DIALECT)));
    return re;
  };
  const exactPaths = new Set(literal.filter((l) => l.modifier === '=').map((l) => l.path));
  const guards: Location[] = [];
  for (const loc of literal) {
    if (loc.modifier !== '=' || loc.path === '/' || !loc.path.endsWith('/')) continue;
    const bare = loc.path.replace(/\/+$/, '') || '/';
    if (exactPaths.has(bare)) continue;
    exactPaths.add(bare);
    const prefix = literal
      .filter((l) => l.modifier === '^~' && (l.path === '/' || bare.startsWith(l.path) || `${bare}/` === l.path))
      .sort((a, b) => b.path.length - a.path.length)[0];
    // Never the author's regex in a backtracking engine on this thread: (a+)+b against /aaa…a!/ took forever.
    const re = regex.find((l) => compiledPath(l.ingressPath).test(bare));
    const source = prefix && prefix.path !== '/' ? prefix : (re ?? prefix);
    if (source) guards.push({ ...source, modifier: '=', path: bare });
    else guards.push({ ...loc, modifier: '=', path: bare, ingressPath: loc.ingressPath, backend: fallback, rewrite: undefined });
  }
  return guards;
}

/** Whether the server still needs a catch-all `location /` for requests no rule matches. */
export function needsFallbackLocation(locations: Location[]): boolean {
  return !locations.some((l) => l.path === '/' && (l.modifier === '^~' || l.modifier === ''));
}
