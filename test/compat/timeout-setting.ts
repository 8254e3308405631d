// The shape shared by ingress-nginx's settings/proxy_{connect,send,read}_timeout.go: one ConfigMap key,
// a valid value that must reach nginx and an invalid one ("50k") that must not. Replayed as: the Ingress is
// served in both cases, nginx's http{} carries the valid value, and the invalid one leaves the default with
// a warning naming the key (ingress-nginx also keeps its default).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

export interface TimeoutSettingCase {
  /** ingress-nginx's file, e.g. settings/proxy_read_timeout.go. */
  file: string;
  key: string;
  directive: string;
  host: string;
  valid: { it: string; value: string };
  invalid: { it: string; value: string };
  /** Portico's default (DEFAULT_PROXY), which an invalid value leaves in place. */
  defaultSeconds: number;
}

export function describeTimeoutSetting(c: TimeoutSettingCase): void {
  describe(`ingress-nginx ${c.file}`, () => {
    let backends: Backends;
    const scenarios: Scenario[] = [];
    const start = async (value: string) => {
      const s = await startScenario([INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), singleIngress(c.host, c.host, 'echo'), configMap({ [c.key]: value })], CONFIGMAP_REF);
      scenarios.push(s);
      return s;
    };

    beforeAll(async () => {
      backends = await startBackends('echo');
    });
    afterAll(async () => {
      for (const s of scenarios) await s.stop();
      await backends?.stopAll();
    });

    test(c.valid.it, async () => {
      const s = await start(c.valid.value);
      // A backend taking 1 s answers within the timeout.
      const r = await s.get(c.host, '/', { headers: { 'x-echo-delay-ms': '1000' } });
      expect([r.status, r.echo?.service]).toEqual([200, 'echo']);
      expect(s.conf).toContain(`${c.directive} ${c.valid.value}s;`);
      expect(s.model.warnings).toEqual([]);
    });

    test(c.invalid.it, async () => {
      const s = await start(c.invalid.value);
      expect((await s.get(c.host, '/')).status).toBe(200);
      expect(s.conf).not.toContain(`${c.directive} ${c.invalid.value}s;`);
      expect(s.conf).toContain(`${c.directive} ${c.defaultSeconds}s;`);
      expect(s.model.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(new RegExp(`^${c.key}: .*the default is kept`)));
    });
  });
}
