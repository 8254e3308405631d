import { buildModel } from '../model/build.js';
import { refString, type IngressRef, type ModelOptions, type NginxModel, type Rejection } from '../model/types.js';
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

/** Checks one rendered config (materialize its files, nginx -t); resolves undefined when nginx accepts it, else the reason. */
export type ConfigCheck = (model: NginxModel, text: string) => Promise<string | undefined>;

/** The last version of each Ingress that was accepted and applied, by namespace/name. */
export type LastAccepted = Map<string, Ingress>;

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
}

function withIngresses(snapshot: Snapshot, edit: (m: Map<string, Ingress>) => void): Snapshot {
  const ingresses = new Map(snapshot.ingresses);
  edit(ingresses);
  return { ...snapshot, ingresses };
}

function sameObject(a: Ingress | undefined, b: Ingress): boolean {
  return a !== undefined && a.metadata?.uid === b.metadata?.uid;
}

/**
 * Turns a snapshot into the config to apply, so that one bad Ingress never blocks the rest:
 * 1. An Ingress rejected as a whole whose previous version was accepted (same uid) keeps serving that
 *    previous version; the rejection of the new one is still reported.
 * 2. When nginx -t refuses the combined config, the Ingresses responsible are found by bisection over
 *    the accepted ones (re-rendering without a subset), and the rest is applied. An excluded Ingress
 *    with a last accepted version is served in that version when nginx accepts it.
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
  const test = async (c: { model: NginxModel; text: string }) => {
    if (knownGood(c)) return undefined;
    checks++;
    return check(c.model, c.text);
  };

  // 1. Substitute the last accepted version of Ingresses rejected as a whole.
  const first = buildModel(input, options);
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
  const withRejections = (model: NginxModel): NginxModel => {
    if (substitutedRejections.length === 0) return model;
    const seen = new Set(model.rejections.map((r) => `${refString(r.ingress)} ${r.field} ${r.reason}`));
    const extra = substitutedRejections.filter((r) => !seen.has(`${refString(r.ingress)} ${r.field} ${r.reason}`));
    return { ...model, rejections: [...model.rejections, ...extra] };
  };

  // Without substitutions the first model is the one to render: building it twice costs a second at scale.
  const full = replacements.size === 0 ? renderModel(first, base) : build(base);
  const fullError = await test(full);
  if (fullError === undefined) return { ...full, model: withRejections(full.model), excluded: [], substituted, checks };

  // 2. Bisection. First make sure an Ingress is at fault at all.
  const candidates = full.model.accepted.map(refString);
  const without = (keys: Iterable<string>) => {
    const drop = new Set(keys);
    return withIngresses(base, (m) => drop.forEach((k) => m.delete(k)));
  };
  const none = build(without(candidates));
  const noneError = await test(none);
  if (noneError !== undefined) throw new BaseConfigError(noneError);

  const reasons = new Map<string, string>();
  /** Finds the members of `cands` that fail when added to the known-good `kept` (every other candidate left out). */
  const find = async (cands: string[], kept: Set<string>): Promise<string[]> => {
    const included = new Set([...kept, ...cands]);
    const trial = build(without(candidates.filter((k) => !included.has(k))));
    const error = await test(trial);
    if (error === undefined) return [];
    if (cands.length === 1) {
      reasons.set(cands[0]!, error);
      return cands;
    }
    const mid = Math.ceil(cands.length / 2);
    const left = cands.slice(0, mid);
    const right = cands.slice(mid);
    const badLeft = await find(left, kept);
    const keptAfterLeft = new Set([...kept, ...left.filter((k) => !badLeft.includes(k))]);
    const badRight = await find(right, keptAfterLeft);
    return [...badLeft, ...badRight];
  };
  const bad = await find(candidates, new Set());
  // Every Ingress "at fault" at once means they share the fault: the templates or the global config.
  if (bad.length > 1 && bad.length === candidates.length) throw new BaseConfigError(reasons.get(bad[0]!) ?? fullError);

  // An excluded Ingress with an earlier accepted version: serve that one if nginx takes it.
  const fallback = new Map<string, Ingress>();
  for (const key of bad) {
    const previous = lastAccepted.get(key);
    const used = base.ingresses.get(key);
    if (previous && used && previous !== used && sameObject(previous, used)) fallback.set(key, previous);
  }
  let result = build(without(bad));
  if (fallback.size > 0) {
    const trial = build(withIngresses(without(bad), (m) => fallback.forEach((v, k) => m.set(k, v))));
    if ((await test(trial)) === undefined) result = trial;
    else fallback.clear();
  }
  const finalError = await test(result);
  if (finalError !== undefined) throw new BaseConfigError(finalError);

  const excluded: Rejection[] = bad.map((key) => {
    const ref = full.model.accepted.find((r) => refString(r) === key)!;
    const kept = fallback.has(key) ? ' (its last accepted version keeps serving)' : '';
    return { ingress: ref, field: 'nginx.conf', reason: `nginx -t fails with this Ingress in: ${reasons.get(key) ?? fullError}${kept}`, whole: true };
  });
  return { ...result, model: withRejections(result.model), excluded, substituted: [...substituted, ...[...fallback.keys()].map((k) => full.model.accepted.find((r) => refString(r) === k)!)], checks };
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
