import { describe, expect, test } from '@jest/globals';
import { DEFAULT_GLOBAL_CONFIG, parseGlobalConfig } from './registry.js';
import type { FeatureValues as IngressAnnotations } from '../model/types.js';
import { checkHashBy, loadBalanceFeature, type LoadBalanceAnnotation } from './load-balance.js';
import { upstreamPolicy, upstreamSuffix } from './traffic.js';
import { parseFamily } from '../../test/support/annotation-input.js';

function parse(annotations: Record<string, string>) {
  return parseFamily(loadBalanceFeature, annotations);
}

describe('load-balance and upstream-hash-by', () => {
  test('open-source nginx methods; ewma is ignored with a warning', () => {
    for (const m of ['round_robin', 'least_conn', 'ip_hash', 'random']) expect(parse({ 'load-balance': m }).result?.method).toBe(m);
    const ewma = parse({ 'load-balance': 'ewma' });
    expect(ewma.result?.method).toBeUndefined();
    expect(ewma.warnings[0]).toMatch(/ewma needs the Lua balancer/);
    expect(parse({ 'load-balance': 'fastest' }).error?.annotation).toBe('load-balance');
    expect(parse({ 'load-balance': 'least_conn; evil' }).error?.annotation).toBe('load-balance');
  });

  test.each(['$request_uri', '$binary_remote_addr', '$request_uri$host', '${request_uri}-text', '$http_x_user_id', '$cookie_session', '$arg_tenant:$uri'])(
    'upstream-hash-by %j is accepted',
    (v) => expect(checkHashBy(v)).toBeUndefined(),
  );

  test.each(['request_uri', '$foo', '$request_urifoo', '$request_uri;', '$request_uri"', '$request_uri }', '$', '${}', '$secret_key', '$request_uri\n'])(
    'upstream-hash-by %j is rejected',
    (v) => expect(parse({ 'upstream-hash-by': v }).error?.annotation).toBe('upstream-hash-by'),
  );

  test('global load-balance: a method, or a warning and round_robin for ewma', () => {
    expect(parseGlobalConfig({ data: { 'load-balance': 'least_conn' } } as never).config.loadBalance).toBe('least_conn');
    const ewma = parseGlobalConfig({ data: { 'load-balance': 'ewma' } } as never);
    expect(ewma.config.loadBalance).toBe('round_robin');
    expect(ewma.issues[0]?.reason).toMatch(/ewma needs the Lua balancer.*the default is kept/);
  });

  test('precedence: affinity cookie, then upstream-hash-by, then load-balance, then the global method; only non-default policies get a suffix', () => {
    const cfg = { ...DEFAULT_GLOBAL_CONFIG, loadBalance: 'least_conn' as const };
    const ann = (lb: Partial<LoadBalanceAnnotation>, cookie?: string) => ({ loadBalance: { method: undefined, hashBy: undefined, ...lb }, affinity: { cookie } }) as unknown as IngressAnnotations;
    expect(upstreamPolicy(ann({}), cfg)).toEqual({ loadBalance: 'least_conn', hashBy: undefined });
    expect(upstreamPolicy(ann({ method: 'random' }), cfg)).toEqual({ loadBalance: 'random', hashBy: undefined });
    expect(upstreamPolicy(ann({ method: 'random', hashBy: '$uri' }), cfg)).toEqual({ loadBalance: 'hash', hashBy: '$uri' });
    expect(upstreamPolicy(ann({ hashBy: '$uri' }, 'Route'), cfg)).toEqual({ loadBalance: 'hash', hashBy: '$portico_affkey_route' });
    expect(upstreamSuffix({ loadBalance: 'least_conn', hashBy: undefined }, cfg)).toBe('');
    const a = upstreamSuffix({ loadBalance: 'hash', hashBy: '$uri' }, cfg);
    expect(a).toMatch(/^\.lb-[0-9a-f]{8}$/);
    expect(upstreamSuffix({ loadBalance: 'hash', hashBy: '$host' }, cfg)).not.toBe(a);
  });
});
