// Replays kubernetes/ingress-nginx test/e2e/settings/log-format.go ("log-format-*") through Portico's render
// pipeline, a real nginx and an echo backend, reading nginx's access log where ingress-nginx reads its logs.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'log-format';

describe('ingress-nginx settings/log-format.go', () => {
  let backends: Backends;
  let s: Scenario;
  const objects = (data: Record<string, string>) => [INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), singleIngress(HOST, HOST, 'echo'), configMap(data)];
  const accessLog = () => readFile(join(s.stateDir, 'logs/access.log'), 'utf8');
  /** The ConfigMap change, then nginx.conf as reloaded, with no warning. */
  const apply = async (data: Record<string, string>) => {
    await s.update(objects(data));
    expect(s.model.warnings).toEqual([]);
    return s.conf;
  };

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario(objects({}), CONFIGMAP_REF);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  describe('Check log-format-escape-json and log-format-escape-none', () => {
    // It("should not configure log-format escape by default")
    test('should not configure log-format escape by default', () => {
      expect(s.conf).not.toContain('log_format upstreaminfo escape');
    });

    // It("should enable the log-format-escape-json")
    test('should enable the log-format-escape-json', async () => {
      expect(await apply({ 'log-format-escape-json': 'true' })).toContain('log_format upstreaminfo escape=json');
      expect((await s.get(HOST, '/')).status).toBe(200);
    });

    // It("should disable the log-format-escape-json")
    test('should disable the log-format-escape-json', async () => {
      expect(await apply({ 'log-format-escape-json': 'false' })).not.toContain('log_format upstreaminfo escape=json');
    });

    // It("should enable the log-format-escape-none")
    test('should enable the log-format-escape-none', async () => {
      expect(await apply({ 'log-format-escape-none': 'true' })).toContain('log_format upstreaminfo escape=none');
      expect((await s.get(HOST, '/')).status).toBe(200);
    });

    // It("should disable the log-format-escape-none")
    test('should disable the log-format-escape-none', async () => {
      expect(await apply({ 'log-format-escape-none': 'false' })).not.toContain('log_format upstreaminfo escape=none');
    });
  });

  describe('Check log-format-upstream with log-format-escape-json and log-format-escape-none', () => {
    // It("log-format-escape-json enabled")
    test('log-format-escape-json enabled', async () => {
      const conf = await apply({ 'log-format-escape-json': 'true', 'log-format-upstream': '"{"my_header1":"$http_header1", "my_header2":"$http_header2"}"' });
      expect(conf).toContain('log_format upstreaminfo escape=json');
      expect((await s.get(HOST, '/', { headers: { header1: 'Here is "header1" with json escape' } })).status).toBe(200);
      expect(await accessLog()).toContain('{"my_header1":"Here is \\"header1\\" with json escape", "my_header2":""}');
    });

    // It("log-format default escape")
    test('log-format default escape', async () => {
      const conf = await apply({ 'log-format-escape-json': 'false', 'log-format-upstream': '"{"my_header3":"$http_header3", "my_header4":"$http_header4"}"' });
      expect(conf).not.toContain('log_format upstreaminfo escape');
      expect((await s.get(HOST, '/', { headers: { header3: 'Here is "header3" with default escape' } })).status).toBe(200);
      expect(await accessLog()).toContain('{"my_header3":"Here is \\x22header3\\x22 with default escape", "my_header4":"-"}');
    });

    // It("log-format-escape-none enabled")
    test('log-format-escape-none enabled', async () => {
      const conf = await apply({ 'log-format-escape-none': 'true', 'log-format-upstream': '"{"my_header5":"$http_header5", "my_header6":"$http_header6"}"' });
      expect(conf).toContain('log_format upstreaminfo escape=none');
      expect((await s.get(HOST, '/', { headers: { header5: 'Here is "header5" with none escape' } })).status).toBe(200);
      expect(await accessLog()).toContain('{"my_header5":"Here is "header5" with none escape", "my_header6":""}');
    });
  });
});
