import { buildModel } from '../model/build.js';
import type { ModelOptions, ModelWarning } from '../model/types.js';
import type { ConfigRenderer } from '../render/render.js';
import type { Snapshot } from '../store/snapshot.js';
import type { ConfigMap } from '../store/types.js';
import { BaseConfigError, planConfig, TemplateError, type ConfigCheck, type CulpritMemory, type LastAccepted, type Plan } from './plan.js';

type KnownGood = Parameters<typeof planConfig>[5];

/**
 * The ConfigMap keys nginx -t refuses, found by bisection, so that one bad value never freezes every sync.
 * The validators of model/config.ts refuse what is known to fail; this is the defence behind them for
 * what they miss (another OpenSSL, a rule of a newer nginx). When nginx -t fails even with no Ingress
 * (planConfig's BaseConfigError) and the defaults alone pass, the keys at fault are found by checking
 * the config without Ingresses with a subset of the keys, the rest is applied, and each key left out is
 * reported as a warning on the ConfigMap. A refused key is remembered with its value: the next syncs
 * leave it out at once (one nginx -t, not a bisection each time) until its value changes.
 */
export class ConfigKeyGuard {
  private readonly refused = new Map<string, { value: string; reason: string }>();

  async plan(
    snapshot: Snapshot,
    options: ModelOptions,
    render: ConfigRenderer,
    check: ConfigCheck,
    lastAccepted?: LastAccepted,
    knownGood?: KnownGood,
    /** The culprits of the last plan (Plan.culprits), passed through to planConfig. */
    memory?: CulpritMemory,
  ): Promise<Plan> {
    const configMap = options.configMap ? snapshot.configMaps.get(options.configMap) : undefined;
    const data = configMap?.data ?? {};
    for (const [key, r] of this.refused) if (data[key] !== r.value) this.refused.delete(key);
    const keys = Object.keys(data);
    if (!configMap || keys.length === 0) return planConfig(snapshot, options, render, check, lastAccepted, knownGood, memory);

    const withKeys = (kept: Iterable<string>): Snapshot => {
      const subset: Record<string, string> = {};
      for (const k of kept) subset[k] = data[k]!;
      const configMaps = new Map(snapshot.configMaps);
      configMaps.set(options.configMap!, { ...configMap, data: subset } as ConfigMap);
      return { ...snapshot, configMaps };
    };
    const planWithout = async (): Promise<Plan> => {
      const input = this.refused.size === 0 ? snapshot : withKeys(keys.filter((k) => !this.refused.has(k)));
      const plan = await planConfig(input, options, render, check, lastAccepted, knownGood, memory);
      return this.refused.size === 0 ? plan : { ...plan, model: { ...plan.model, warnings: [...plan.model.warnings, ...this.warnings(options.configMap!)] } };
    };

    try {
      return await planWithout();
    } catch (err) {
      if (!(err instanceof BaseConfigError)) throw err;
      const found = await this.findRefusedKeys(keys.filter((k) => !this.refused.has(k)), withKeys, options, render, check);
      if (found.size === 0) throw err;
      for (const [key, reason] of found) this.refused.set(key, { value: data[key]!, reason });
      return planWithout();
    }
  }

  /** The keys whose value makes nginx -t fail on the config without Ingresses (empty: the defaults fail too). */
  private async findRefusedKeys(
    candidates: string[],
    withKeys: (kept: Iterable<string>) => Snapshot,
    options: ModelOptions,
    render: ConfigRenderer,
    check: ConfigCheck,
  ): Promise<Map<string, string>> {
    const failure = async (kept: Iterable<string>): Promise<string | undefined> => {
      const snapshot = { ...withKeys(kept), ingresses: new Map() };
      const model = buildModel(snapshot, options);
      let text: string;
      try {
        text = render(model);
      } catch (err) {
        throw new TemplateError(err);
      }
      const result = await check(model, text);
      return typeof result === 'object' ? result.reason : result;
    };
    const found = new Map<string, string>();
    // Of the other keys, only the already refused ones are left out (they are not among the candidates).
    if ((await failure([])) !== undefined) return found;
    /** The members of `cands` that fail when added to the known-good `kept`. */
    const find = async (cands: string[], kept: string[]): Promise<string[]> => {
      const error = await failure([...kept, ...cands]);
      if (error === undefined) return [];
      if (cands.length === 1) {
        found.set(cands[0]!, stableReason(error));
        return cands;
      }
      const mid = Math.ceil(cands.length / 2);
      const left = cands.slice(0, mid);
      const badLeft = await find(left, kept);
      return [...badLeft, ...(await find(cands.slice(mid), [...kept, ...left.filter((k) => !badLeft.includes(k))]))];
    };
    await find(candidates, []);
    return found;
  }

  private warnings(configMapRef: string): ModelWarning[] {
    return [...this.refused].map(([key, r]) => ({
      object: `ConfigMap ${configMapRef}`,
      message: `${key}: nginx -t refuses this value (${r.reason}); ignored, the default is used`,
    }));
  }
}

/** nginx's message without the temp file and line it names (a new name at every check). */
function stableReason(error: string): string {
  return error
    .replace(/^nginx -t failed: /, '')
    .replace(/ in \S+:\d+/g, '')
    .replace(/\s*\|\s*nginx: configuration file \S+ test failed/g, '')
    .replace(/nginx: \[emerg\] /g, '')
    .trim();
}
