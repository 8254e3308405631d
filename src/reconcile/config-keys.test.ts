import { describe, expect, test } from '@jest/globals';
import { DEFAULT_MODEL_OPTIONS, refString, type ModelOptions, type NginxModel } from '../model/types.js';
import type { ConfigRenderer } from '../render/render.js';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { KubeObject } from '../store/types.js';
import { ConfigKeyGuard } from './config-keys.js';
import { BaseConfigError } from './plan.js';

const options: ModelOptions = { ...DEFAULT_MODEL_OPTIONS, stateDir: '/tmp/portico-config-keys-test', configMap: 'ns/cfg' };
const CLASS = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'portico' }, spec: { controller: DEFAULT_MODEL_OPTIONS.controllerClass } };
const ingress = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'app', namespace: 'ns', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { ingressClassName: 'portico', rules: [{ host: 'app.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'svc', port: { number: 80 } } } }] } }] },
};
const configMap = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'ns' }, data });
const snap = (data: Record<string, string>) => snapshotFromObjects([CLASS, ingress, configMap(data)] as KubeObject[]);

/** The global settings that reach the config, and the Ingresses: enough for a fake nginx -t. */
const render: ConfigRenderer = (m) =>
  [`proxy_read_timeout ${m.config.proxy.readTimeout}s;`, `keepalive_timeout ${m.config.keepAliveSeconds}s;`, `hsts_max_age ${m.config.hstsMaxAge};`, ...m.accepted.map(refString)].join('\n');

/** Fake nginx -t that refuses a read timeout of 42 s and a keep-alive of 7 s (values every validator passes). */
function fakeCheck(calls: { n: number }) {
  return async (_m: NginxModel, text: string) => {
    calls.n++;
    if (text.includes('proxy_read_timeout 42s;')) return 'nginx -t failed: nginx: [emerg] proxy_read_timeout refused in /state/.nginx.conf.check-1-7:12';
    if (text.includes('keepalive_timeout 7s;')) return 'nginx -t failed: nginx: [emerg] keepalive_timeout refused in /state/.nginx.conf.check-1-8:30';
    return undefined;
  };
}

describe('ConfigKeyGuard: ConfigMap keys nginx -t refuses are left out, the rest applies', () => {
  test('finds each refused key by bisection, applies the others and the Ingresses, and names the keys in warnings', async () => {
    const calls = { n: 0 };
    const guard = new ConfigKeyGuard();
    const plan = await guard.plan(snap({ 'proxy-read-timeout': '42', 'keep-alive': '7', 'hsts-max-age': '99', 'proxy-send-timeout': '30' }), options, render, fakeCheck(calls));
    expect(plan.text).toContain('hsts_max_age 99;');
    expect(plan.text).toContain('proxy_read_timeout 60s;');
    expect(plan.text).toContain('keepalive_timeout 75s;');
    expect(plan.model.accepted.map(refString)).toEqual(['ns/app']);
    const warnings = plan.model.warnings.filter((w) => w.object === 'ConfigMap ns/cfg').map((w) => w.message);
    expect(warnings).toEqual([
      'proxy-read-timeout: nginx -t refuses this value (proxy_read_timeout refused); ignored, the default is used',
      'keep-alive: nginx -t refuses this value (keepalive_timeout refused); ignored, the default is used',
    ]);
  });

  test('the next sync leaves the refused keys out at once: one nginx -t, no bisection', async () => {
    const guard = new ConfigKeyGuard();
    const data = { 'proxy-read-timeout': '42', 'hsts-max-age': '99', 'keep-alive': '30' };
    await guard.plan(snap(data), options, render, fakeCheck({ n: 0 }));
    const calls = { n: 0 };
    const plan = await guard.plan(snap(data), options, render, fakeCheck(calls));
    expect(calls.n).toBe(1);
    expect(plan.model.warnings.some((w) => w.message.startsWith('proxy-read-timeout: nginx -t refuses'))).toBe(true);

    // A new value of the key is tried again.
    const fixed = await guard.plan(snap({ ...data, 'proxy-read-timeout': '43' }), options, render, fakeCheck({ n: 0 }));
    expect(fixed.text).toContain('proxy_read_timeout 43s;');
    expect(fixed.model.warnings.some((w) => w.message.includes('nginx -t refuses'))).toBe(false);
  });

  test('when the defaults fail too, the templates are at fault: BaseConfigError, no key blamed', async () => {
    const guard = new ConfigKeyGuard();
    const failing = async () => 'nginx -t failed: broken template';
    await expect(guard.plan(snap({ 'hsts-max-age': '99' }), options, render, failing)).rejects.toBeInstanceOf(BaseConfigError);
  });
});
