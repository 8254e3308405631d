import { createHash } from 'node:crypto';
import { buildModel } from '../model/build.js';
import { refString, type IngressRef, type ModelOptions, type ModelWarning, type NginxModel, type Rejection } from '../model/types.js';
import type { ConfigRenderer } from '../render/render.js';
import type { Snapshot } from '../store/snapshot.js';
import type { Ingress } from '../store/types.js';

/** The templates could not render a model (a broken or incompatible template). */
export class TemplateError extends Error {
  constructor(cause: unknown) {
    super(`template: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'TemplateError';
  }
}

/** nginx -t fails even with every Ingress left out: the templates or the global config are at fault. */
export class BaseConfigError extends Error {
  constructor(readonly checkError: string) {
    super(`nginx -t fails even without any Ingress: ${checkError}`);
    this.name = 'BaseConfigError';
  }
}

/**
 * Why nginx -t refused a config: the reason to report, and the text nginx named (its messages and the
 * config lines they point at), which tells whose content it refused.
 */
export interface CheckFailure {
  reason: string;
  evidence: string[];
}

/** Checks one rendered config (materialize its files, nginx -t); resolves undefined when nginx accepts it, else why not. */
export type ConfigCheck = (model: NginxModel, text: string) => Promise<CheckFailure | string | undefined>;

/** The last version of each Ingress that was accepted and applied, by namespace/name. */
export type LastAccepted = Map<string, Ingress>;

/** Who is left out for an nginx -t failure, and how it is reported. */
interface Blame {
  field: string;
  reason: string;
}

/**
 * What a sync learnt about an Ingress nginx -t refused, so that the next sync leaves it out again with
 * one check instead of a bisection (at 10,000 Ingresses a bisection is 20+ nginx -t of ~8 s each).
 */
interface Culprit extends Blame {
  ref: IngressRef;
  /** Fingerprint of the Ingress and the objects it names (ownContext). */
  own: string;
  /** Fingerprint of its hosts' servers in a model without it, and of the global config (hostContext). */
  host: string;
  /** Its rejections and warnings from the model it was found in: a known culprit is reported as before. */
  rejections: Rejection[];
  warnings: ModelWarning[];
  /** Its last accepted version was served in its place. */
  fallback: boolean;
}

/** The culprits of the last plan, valid for the renderer that found them. */
export interface CulpritMemory {
  renderer: ConfigRenderer;
  culprits: Map<string, Culprit>;
}

export interface Plan {
  model: NginxModel;
  text: string;
  /** The snapshot the model was built from (after substitutions and exclusions). */
  snapshot: Snapshot;
  /** Ingresses left out because nginx -t failed with them in. */
  excluded: Rejection[];
  /** Ingresses whose new version was rejected and whose last accepted version is served instead. */
  substituted: IngressRef[];
  /** How many configs were checked with nginx -t (1 when the first one passed). */
  checks: number;
  /** The excluded Ingresses, for the next plan (pass it back as `memory`). */
  culprits: CulpritMemory;
}

function withIngresses(snapshot: Snapshot, edit: (m: Map<string, Ingress>) => void): Snapshot {
  const ingresses = new Map(snapshot.ingresses);
  edit(ingresses);
  return { ...snapshot, ingresses };
}

function sameObject(a: Ingress | undefined, b: Ingress): boolean {
  return a !== undefined && a.metadata?.uid === b.metadata?.uid;
}

const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** Every string in a value (deep), for the names an Ingress refers to. */
function strings(value: unknown, out: Set<string>): Set<string> {
  if (typeof value === 'string') {
    out.add(value);
    for (const part of value.split('/')) out.add(part);
  } else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

/**
 * A fingerprint of an Ingress (its content: not resourceVersion, which our own status updates change) and
 * of the objects it can name: the Services, EndpointSlices, Secrets and ConfigMaps of its namespace, and
 * the IngressClasses, whose name is one of its strings. Computed from the snapshot alone, before any model.
 */
function ownContext(snapshot: Snapshot, ingress: Ingress): string {
  const ns = ingress.metadata?.namespace ?? '';
  const names = strings([ingress.spec, ingress.metadata?.annotations], new Set());
  const inNs = <T extends { metadata?: { namespace?: string; name?: string } }>(m: ReadonlyMap<string, T>) =>
    [...names].flatMap((n) => (m.get(`${ns}/${n}`) ? [m.get(`${ns}/${n}`)!] : []));
  const slices = [...snapshot.endpointSlices.values()].filter(
    (s) => s.metadata?.namespace === ns && names.has(s.metadata?.labels?.['kubernetes.io/service-name'] ?? '\0'),
  );
  const classes = [...names].flatMap((n) => (snapshot.ingressClasses.get(n) ? [snapshot.ingressClasses.get(n)!] : []));
  const { uid, creationTimestamp, annotations } = ingress.metadata ?? {};
  return hash({
    own: { uid, creationTimestamp, annotations, spec: ingress.spec },
    services: inNs(snapshot.services),
    slices: slices.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '')),
    secrets: inNs(snapshot.secrets),
    configMaps: inNs(snapshot.configMaps),
    classes,
  });
}

/**
 * A fingerprint of what surrounds an Ingress in a model built without it: the servers of its hosts (the
 * other Ingresses' locations there: a partner on the same host counts), the upstreams they use, and the
 * global config. With ownContext, what decides whether the Ingress still fails nginx -t: when anything in
 * either changes (its own edit, a partner's, a Secret, endpoints, the ConfigMap) it is checked again.
 */
function hostContext(model: NginxModel, ingress: Ingress, key: string): string {
  const hosts = new Set<string>();
  for (const rule of ingress.spec?.rules ?? []) hosts.add(rule.host ?? '');
  for (const tls of ingress.spec?.tls ?? []) for (const h of tls.hosts ?? []) hosts.add(h);
  const own = (ref: IngressRef | undefined) => ref !== undefined && refString(ref) === key;
  // Its own locations (a fallback version served in its place) are its own context, not its surroundings.
  const servers = model.servers
    .filter((s) => hosts.has(s.host))
    .map((s) => ({ ...s, ingresses: s.ingresses.filter((r) => !own(r)), locations: s.locations.filter((l) => !own(l.ingress)) }));
  const upstreamNames = new Set<string>();
  for (const s of servers) {
    for (const l of s.locations) {
      if (l.backend.kind === 'upstream') upstreamNames.add(l.backend.upstream);
      if (l.canary?.backend.kind === 'upstream') upstreamNames.add(l.canary.backend.upstream);
    }
  }
  const upstreams = model.upstreams.filter((u) => upstreamNames.has(u.name));
  return hash({ servers, upstreams, config: model.config, defaultCertificate: model.defaultCertificate, options: model.options });
}

/** Values too common to say whose text a config line is. */
const COMMON_VALUE = /^(true|false|on|off|\d+)$/i;

/**
 * The field of `ingress` whose value nginx named (in its message, or on the config line it points at):
 * an annotation value, a path or a host. Undefined when none is named.
 */
function fieldNamed(ingress: Ingress | undefined, evidence: string[]): string | undefined {
  const named = (value: string | undefined) => value !== undefined && value.length >= 3 && !COMMON_VALUE.test(value) && evidence.some((e) => e.includes(value));
  for (const [key, value] of Object.entries(ingress?.metadata?.annotations ?? {})) if (named(value)) return `metadata.annotations[${key}]`;
  const rules = ingress?.spec?.rules ?? [];
  for (const [i, rule] of rules.entries()) {
    for (const [j, path] of (rule.http?.paths ?? []).entries()) if (named(path.path)) return `spec.rules[${i}].http.paths[${j}].path`;
  }
  for (const [i, rule] of rules.entries()) if (named(rule.host)) return `spec.rules[${i}].host`;
  return undefined;
}

/** Creation time, then key: the younger of two Ingresses loses, as for a host both define. */
function youngestFirst(snapshot: Snapshot) {
  const created = (k: string) => String(snapshot.ingresses.get(k)?.metadata?.creationTimestamp ?? '');
  return (a: string, b: string) => created(b).localeCompare(created(a)) || b.localeCompare(a);
}

const involves = (key: string) => (x: { ingress?: IngressRef }) => x.ingress !== undefined && refString(x.ingress) === key;

/**
 * Turns a snapshot into the config to apply, so that one bad Ingress never blocks the rest:
 * 1. Culprits of the last plan (`memory`) whose Ingress, the objects it names and its hosts' surroundings
 *    are unchanged are left out at once; the model is built without them (one build: at 10,000 Ingresses
 *    a build is seconds) and checked once. Only when that fails is anything bisected, and then the rest.
 * 2. An Ingress rejected as a whole whose previous version was accepted (same uid) keeps serving that
 *    previous version; the rejection of the new one is still reported.
 * 3. When nginx -t refuses the combined config, the Ingresses responsible are found by bisection (what
 *    changed since the last plan first), re-rendering without a subset, and the rest is applied. An
 *    Ingress found that fails only together with others is not blamed as such: its partners are found,
 *    and the one whose value nginx names (a canary's pattern is rendered only beside its main Ingress),
 *    else the youngest, is left out. An excluded Ingress with a last accepted version is served in that
 *    version when nginx accepts it.
 * Throws TemplateError when the templates cannot render, BaseConfigError when nginx -t fails with no
 * Ingress at all (nothing an Ingress did, so nothing to exclude).
 */
export async function planConfig(
  input: Snapshot,
  options: ModelOptions,
  render: ConfigRenderer,
  check: ConfigCheck,
  lastAccepted: LastAccepted = new Map(),
  /** True for a config known to pass nginx -t (the one in force): it is not checked again. */
  knownGood: (c: { model: NginxModel; text: string }) => boolean = () => false,
  /** The culprits of the last plan (Plan.culprits). */
  memory?: CulpritMemory,
): Promise<Plan> {
  let checks = 0;
  const renderModel = (model: NginxModel, snapshot: Snapshot) => {
    try {
      return { model, text: render(model), snapshot };
    } catch (err) {
      throw new TemplateError(err);
    }
  };
  const build = (snapshot: Snapshot) => renderModel(buildModel(snapshot, options), snapshot);
  const test = async (c: { model: NginxModel; text: string }): Promise<CheckFailure | undefined> => {
    if (knownGood(c)) return undefined;
    checks++;
    const failure = await check(c.model, c.text);
    return typeof failure === 'string' ? { reason: failure, evidence: [failure] } : failure;
  };
  const without = (keys: Iterable<string>, from: Snapshot) => {
    const drop = new Set(keys);
    return drop.size === 0 ? from : withIngresses(from, (m) => drop.forEach((k) => m.delete(k)));
  };

  // 1. The last plan's culprits whose Ingress and named objects are unchanged, then (in a model without
  // them) whose surroundings are unchanged too; one that changed is built in again.
  const known = new Map<string, Culprit>();
  if (memory && memory.renderer === render) {
    for (const [key, c] of memory.culprits) {
      const ingress = input.ingresses.get(key);
      if (ingress && ownContext(input, ingress) === c.own) known.set(key, c);
    }
  }
  let first = buildModel(without(known.keys(), input), options);
  const moved = [...known.keys()].filter((k) => hostContext(first, input.ingresses.get(k)!, k) !== known.get(k)!.host);
  if (moved.length > 0) {
    for (const k of moved) known.delete(k);
    first = buildModel(without(known.keys(), input), options);
  }

  // 2. Substitute the last accepted version of Ingresses rejected as a whole.
  const substitutedRejections: Rejection[] = [];
  const substituted: IngressRef[] = [];
  const wholeRejected = new Map<string, IngressRef>();
  for (const r of first.rejections) if (r.whole) wholeRejected.set(refString(r.ingress), r.ingress);
  const replacements = new Map<string, Ingress>();
  for (const [key, ref] of wholeRejected) {
    const current = input.ingresses.get(key);
    const previous = lastAccepted.get(key);
    if (current && previous && previous !== current && sameObject(previous, current)) {
      replacements.set(key, previous);
      substituted.push(ref);
      substitutedRejections.push(...first.rejections.filter((r) => refString(r.ingress) === key));
    }
  }
  const base = replacements.size === 0 ? input : withIngresses(input, (m) => replacements.forEach((v, k) => m.set(k, v)));
  const withRejections = (model: NginxModel, extra: { rejections: Rejection[]; warnings: ModelWarning[] } = { rejections: [], warnings: [] }): NginxModel => {
    const add = [...substitutedRejections, ...extra.rejections];
    if (add.length === 0 && extra.warnings.length === 0) return model;
    const seen = new Set(model.rejections.map((r) => `${refString(r.ingress)} ${r.field} ${r.reason}`));
    const rejections = add.filter((r) => !seen.has(`${refString(r.ingress)} ${r.field} ${r.reason}`));
    return { ...model, rejections: [...model.rejections, ...rejections], warnings: [...model.warnings, ...extra.warnings] };
  };
  // The model to check, without the known culprits: the first one unless versions were substituted.
  const fullModel = replacements.size === 0 ? first : buildModel(without(known.keys(), base), options);
  const afterKnown = without(known.keys(), base);
  const refOf = new Map([...fullModel.accepted.map((r) => [refString(r), r] as const), ...[...known].map(([k, c]) => [k, c.ref] as const)]);

  /** The last accepted versions to serve in place of these excluded Ingresses (same uid, another version). */
  const fallbacksFor = (keys: Iterable<string>) => {
    const fallback = new Map<string, Ingress>();
    for (const key of keys) {
      const previous = lastAccepted.get(key);
      const used = base.ingresses.get(key);
      if (previous && used && previous !== used && sameObject(previous, used)) fallback.set(key, previous);
    }
    return fallback;
  };
  /**
   * The plan that leaves out the blamed Ingresses (`result`, with the fallback versions in it), and its
   * memory: `bare` is a model without them and without fallbacks (what the next plan's first model is).
   * `found` has the model each new culprit was found in, for its rejections and warnings.
   */
  const finish = (
    result: { model: NginxModel; text: string; snapshot: Snapshot },
    blame: Map<string, Blame>,
    fallback: Map<string, Ingress>,
    bare: NginxModel,
    found?: NginxModel,
  ): Plan => {
    const excluded: Rejection[] = [...blame].map(([key, b]) => {
      const kept = fallback.has(key) ? ' (its last accepted version keeps serving)' : '';
      return { ingress: refOf.get(key)!, field: b.field, reason: `${b.reason}${kept}`, whole: true };
    });
    const culprits = new Map<string, Culprit>();
    for (const [key, b] of blame) {
      const ingress = input.ingresses.get(key)!;
      const before = known.get(key);
      culprits.set(key, {
        ...b,
        ref: refOf.get(key)!,
        own: ownContext(input, ingress),
        host: hostContext(bare, ingress, key),
        rejections: before?.rejections ?? found?.rejections.filter(involves(key)) ?? [],
        warnings: before?.warnings ?? found?.warnings.filter(involves(key)) ?? [],
        fallback: fallback.has(key),
      });
    }
    // A culprit is not in the model: its own rejections and warnings (from the model it was found in) are
    // reported beside its exclusion, the same at every sync.
    const remembered = [...culprits.values()].filter((c) => !c.fallback);
    const extra = { rejections: remembered.flatMap((c) => c.rejections), warnings: remembered.flatMap((c) => c.warnings) };
    return {
      ...result,
      model: withRejections(result.model, extra),
      excluded,
      substituted: [...substituted, ...[...fallback.keys()].map((k) => refOf.get(k)!)],
      checks,
      culprits: { renderer: render, culprits },
    };
  };
  const knownBlame = [...known].map(([k, c]) => [k, { field: c.field, reason: c.reason }] as const);

  // Known culprits: everything but them, checked once.
  if (known.size > 0) {
    const knownFallback = fallbacksFor([...known].filter(([, c]) => c.fallback).map(([k]) => k));
    const trial = knownFallback.size === 0 ? renderModel(fullModel, afterKnown) : build(withIngresses(afterKnown, (m) => knownFallback.forEach((v, k) => m.set(k, v))));
    if ((await test(trial)) === undefined) return finish(trial, new Map(knownBlame), knownFallback, fullModel);
  }

  // 3. Bisection over what is left (the known culprits stay out).
  const full = known.size === 0 ? renderModel(fullModel, base) : undefined;
  const fullError = full ? await test(full) : undefined;
  if (full && fullError === undefined) return { ...full, model: withRejections(full.model), excluded: [], substituted, checks, culprits: { renderer: render, culprits: new Map() } };

  const candidates = fullModel.accepted.map(refString);
  const others = (keys: Iterable<string>) => {
    const keep = new Set(keys);
    return candidates.filter((k) => !keep.has(k));
  };
  /** The config with only these candidates in (every known culprit and every other candidate left out). */
  const only = (keys: Iterable<string>) => build(without(others(keys), afterKnown));
  const none = only([]);
  const noneError = await test(none);
  if (noneError !== undefined) throw new BaseConfigError(noneError.reason);

  /** The failure each culprit caused when it was added. */
  const reasons = new Map<string, CheckFailure>();
  /** The good set each culprit was added to when it failed: its partners, if it fails only together with others, are in it. */
  const keptWhenFound = new Map<string, string[]>();
  /** Finds the members of `cands` that fail when added to the known-good `kept` (every other candidate left out). */
  const find = async (cands: string[], kept: string[], knownError?: CheckFailure): Promise<string[]> => {
    const error = knownError ?? (await test(only([...kept, ...cands])));
    if (error === undefined) return [];
    if (cands.length === 1) {
      reasons.set(cands[0]!, error);
      keptWhenFound.set(cands[0]!, kept);
      return cands;
    }
    const mid = Math.ceil(cands.length / 2);
    const left = cands.slice(0, mid);
    const right = cands.slice(mid);
    const badLeft = await find(left, kept);
    const badRight = await find(right, [...kept, ...left.filter((k) => !badLeft.includes(k))]);
    return [...badLeft, ...badRight];
  };
  // What changed since the last applied config is bisected first, the unchanged Ingresses kept in, if they
  // still pass (usually the config in force: no check); only if the fault is not among the changed ones
  // is everything bisected.
  const changed = candidates.filter((k) => lastAccepted.get(k) !== base.ingresses.get(k));
  let found: string[] = [];
  if (changed.length > 0 && changed.length < candidates.length) {
    const unchanged = others(changed);
    if ((await test(only(unchanged))) === undefined) found = await find(changed, unchanged, fullError);
  }
  if (found.length === 0) {
    reasons.clear();
    keptWhenFound.clear();
    found = await find(candidates, [], fullError);
  }
  // Every Ingress "at fault" at once means they share the fault: the templates or the global config.
  if (found.length > 1 && found.length === candidates.length) throw new BaseConfigError((reasons.get(found[0]!) ?? fullError)?.reason ?? '');

  // An Ingress that fails only with others: find the partners, and blame the one whose text nginx refused.
  const blameFor = (key: string, failure: CheckFailure, reason: string): Blame => ({ field: fieldNamed(base.ingresses.get(key), failure.evidence) ?? 'nginx.conf', reason });
  const blamed = new Map<string, Blame>();
  for (const key of found) {
    const kept = keptWhenFound.get(key)!;
    const alone = kept.length === 0 ? reasons.get(key) : await test(only([key]));
    if (alone !== undefined) {
      blamed.set(key, blameFor(key, alone, `nginx -t fails with this Ingress in: ${alone.reason}`));
      continue;
    }
    const partners = await findPartners(key, kept, async (keys) => (await test(only(keys))) !== undefined);
    const group = [key, ...partners];
    const failure = reasons.get(key)!;
    // The one whose value nginx named (an older canary's pattern, rendered only beside its main Ingress);
    // if none or several, the youngest, as when two Ingresses claim the same host.
    const named = group.filter((k) => fieldNamed(base.ingresses.get(k), failure.evidence) !== undefined);
    const atFault = [...(named.length > 0 ? named : group)].sort(youngestFirst(base))[0]!;
    const together = group.filter((g) => g !== atFault).join(', ');
    blamed.set(atFault, blameFor(atFault, failure, `nginx -t fails with this Ingress in together with ${together}, which pass without it: ${failure.reason}`));
  }

  // The blame moved to a partner: should nginx still refuse the rest, leave out every Ingress found as well.
  const choices = [new Map([...knownBlame, ...blamed])];
  if (found.some((k) => !blamed.has(k))) {
    const foundBlame = found.map((k) => [k, blamed.get(k) ?? blameFor(k, reasons.get(k)!, `nginx -t fails with this Ingress in: ${reasons.get(k)!.reason}`)] as const);
    choices.push(new Map([...knownBlame, ...foundBlame, ...blamed]));
  }
  let lastError = '';
  for (const bad of choices) {
    const result = build(without(bad.keys(), base));
    const fallback = fallbacksFor(bad.keys());
    if (fallback.size > 0) {
      const trial = build(withIngresses(result.snapshot, (m) => fallback.forEach((v, k) => m.set(k, v))));
      if ((await test(trial)) === undefined) return finish(trial, bad, fallback, result.model, fullModel);
    }
    const finalError = await test(result);
    if (finalError === undefined) return finish(result, bad, new Map(), result.model, fullModel);
    lastError = finalError.reason;
  }
  throw new BaseConfigError(lastError);
}

/**
 * The partners `key` fails with, among `pool` (a set that passes without it): the shortest prefix of the
 * pool that fails with it ends with a partner; repeated on what is before it until the partners found fail
 * with it alone. log2(pool) checks per partner.
 */
async function findPartners(key: string, pool: string[], fails: (keys: string[]) => Promise<boolean>): Promise<string[]> {
  const partners: string[] = [];
  let rest = pool;
  while (rest.length > 0) {
    let lo = 0;
    let hi = rest.length - 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await fails([key, ...partners, ...rest.slice(0, mid + 1)])) hi = mid;
      else lo = mid + 1;
    }
    partners.push(rest[lo]!);
    if (lo === 0 || (await fails([key, ...partners]))) break;
    rest = rest.slice(0, lo);
  }
  return partners;
}

/** Remembers the version of each Ingress that the applied config serves; forgets deleted ones. */
export function rememberAccepted(lastAccepted: LastAccepted, plan: Plan, current: Snapshot): void {
  const excluded = new Set(plan.excluded.map((r) => refString(r.ingress)));
  for (const ref of plan.model.accepted) {
    const key = refString(ref);
    const obj = plan.snapshot.ingresses.get(key);
    if (obj && !excluded.has(key)) lastAccepted.set(key, obj);
  }
  for (const key of [...lastAccepted.keys()]) if (!current.ingresses.has(key)) lastAccepted.delete(key);
}
