import { describe, expect, test } from '@jest/globals';
import { DEFAULT_GLOBAL_CONFIG, globalsFor, parseGlobalConfig } from './registry.js';
import { backendProtocolFeature } from './backend-protocol.js';
import { customHttpErrorsFeature, parseErrorCodes } from './custom-http-errors.js';
import { DEFAULT_PROXY, proxyFeature } from './proxy.js';
import { serverAliasFeature } from './server-alias.js';
import { serviceUpstreamFeature } from './service-upstream.js';
import { AnnotationError, type Feature, type AnnotationInput } from './feature.js';
import { checkVhost, upstreamVhostFeature } from './upstream-vhost.js';

function parse<T, G extends object>(family: Feature<T, G>, annotations: Record<string, string>, config = DEFAULT_GLOBAL_CONFIG) {
  const input = { get: (k: string) => annotations[k], warn: () => undefined, config } as unknown as AnnotationInput;
  try {
    return { result: family.parse(input, globalsFor(family, config)) };
  } catch (err) {
    if (err instanceof AnnotationError) return { error: err };
    throw err;
  }
}

describe('proxy-* annotations', () => {
  test('only what is set; sizes, seconds, enums and lists normalised', () => {
    const r = parse(proxyFeature, {
      'proxy-body-size': '8M',
      'proxy-connect-timeout': '10s',
      'proxy-read-timeout': '120',
      'proxy-buffering': 'ON',
      'proxy-next-upstream': 'error  timeout http_502 error',
      'proxy-next-upstream-tries': '0',
    }).result!;
    expect(r).toMatchObject({ bodySize: '8m', connectTimeout: 10, readTimeout: 120, buffering: 'on', nextUpstream: ['error', 'timeout', 'http_502'], nextUpstreamTries: 0 });
    expect(r.sendTimeout).toBeUndefined();
    expect(r.bufferSize).toBeUndefined();
  });

  test('proxy-buffer-size brings proxy-buffers-number along (and the other way round)', () => {
    expect(parse(proxyFeature, { 'proxy-buffer-size': '16k' }).result).toMatchObject({ bufferSize: '16k', buffersNumber: 4 });
    expect(parse(proxyFeature, { 'proxy-buffers-number': '8' }).result).toMatchObject({ bufferSize: '4k', buffersNumber: 8 });
  });

  test.each([
    ['proxy-body-size', '8 m'],
    ['proxy-body-size', '8m;'],
    ['proxy-read-timeout', '$t'],
    ['proxy-request-buffering', 'off;'],
    ['proxy-next-upstream', 'error; return 200'],
    ['proxy-connect-timeout', '5"'],
  ])('%s %j (characters that could reach nginx.conf) is refused', (key, value) => {
    expect(parse(proxyFeature, { [key]: value }).error?.annotation).toBe(key);
  });

  // ingress-nginx's proxy parser uses the default for a value it cannot read (internal/ingress/annotations/proxy/main.go).
  test.each([
    ['proxy-body-size', '1t', 'bodySize'],
    ['proxy-body-size', '-1', 'bodySize'],
    ['proxy-buffer-size', '1g', 'bufferSize'],
    ['proxy-connect-timeout', '0', 'connectTimeout'],
    ['proxy-read-timeout', '1m', 'readTimeout'],
    ['proxy-send-timeout', 'abc', 'sendTimeout'],
    ['proxy-buffering', 'yes', 'buffering'],
    ['proxy-next-upstream', 'off error', 'nextUpstream'],
    ['proxy-next-upstream', '', 'nextUpstream'],
    ['proxy-next-upstream-tries', 'many', 'nextUpstreamTries'],
    ['proxy-buffers-number', '1', 'buffersNumber'],
  ])('%s %j falls back to the default with a warning', (key, value, field) => {
    const warnings: string[] = [];
    const input = { get: (k: string) => ({ [key]: value })[k], warn: (m: string) => warnings.push(m), config: DEFAULT_GLOBAL_CONFIG } as unknown as AnnotationInput;
    const result = proxyFeature.parse(input, DEFAULT_GLOBAL_CONFIG.proxy) as unknown as Record<string, unknown>;
    // undefined: the location writes nothing and inherits the http{} value.
    expect(result[field]).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^annotation ${key}: ${JSON.stringify(JSON.stringify(value)).slice(1, -1)} .*; the default \\(ConfigMap or built-in\\) is used instead, as in ingress-nginx$`))]);
  });

  test('proxy-next-upstream-tries above 100 is passed through, as ingress-nginx does', () => {
    expect(parse(proxyFeature, { 'proxy-next-upstream-tries': '250' }).result).toMatchObject({ nextUpstreamTries: 250 });
  });

  test('the same keys in the ConfigMap set the http{} defaults; bad values keep the default', () => {
    const { config, issues } = parseGlobalConfig({ data: { 'proxy-body-size': '20m', 'proxy-read-timeout': '5', 'proxy-buffering': 'maybe' } });
    expect(config.proxy).toEqual({ ...DEFAULT_PROXY, bodySize: '20m', readTimeout: 5 });
    expect(issues.map((i) => i.key)).toEqual(['proxy-buffering']);
    expect(DEFAULT_GLOBAL_CONFIG.proxy).toEqual(DEFAULT_PROXY);
  });
});

describe('backend-protocol', () => {
  test.each([
    ['HTTPS', 'HTTPS'],
    ['grpc', 'GRPC'],
    ['GRPCS', 'GRPCS'],
    ['AUTO_HTTP', 'HTTP'],
  ])('%s → %s', (value, protocol) => {
    expect(parse(backendProtocolFeature, { 'backend-protocol': value }).result).toEqual({ protocol });
  });
  // FCGI is supported now: backend-protocol.test.ts covers it.
  test('HTTP by default; unknown values are refused', () => {
    expect(parse(backendProtocolFeature, {}).result).toEqual({ protocol: 'HTTP' });
    expect(parse(backendProtocolFeature, { 'backend-protocol': 'HTTP;' }).error?.annotation).toBe('backend-protocol');
  });
});

describe('upstream-vhost, x-forwarded-prefix', () => {
  test('a host with an optional port; a prefix with or without "/", capture groups, or "" for none (as ingress-nginx)', () => {
    expect(parse(upstreamVhostFeature, { 'upstream-vhost': 'API.internal:8080', 'x-forwarded-prefix': '/api' }).result).toEqual({ vhost: 'api.internal:8080', xForwardedPrefix: '/api', xForwardedPrefixCaptures: undefined });
    for (const bad of ['$host', 'a b', 'a.test"; x', '*.a.test', 'a.test:99999', 'a.test:', '']) expect([bad, checkVhost(bad)]).toEqual([bad, expect.any(String)]);
    for (const bad of ['/a;b', '/$host', '/$0', '/$', '/a b', '/a"b', '/${1}', '/a\\b']) {
      expect([bad, parse(upstreamVhostFeature, { 'x-forwarded-prefix': bad }).error?.annotation]).toEqual([bad, 'x-forwarded-prefix']);
    }
    expect(parse(upstreamVhostFeature, { 'x-forwarded-prefix': 'api' }).result?.xForwardedPrefix).toBe('api');
    expect(parse(upstreamVhostFeature, { 'x-forwarded-prefix': '' }).result?.xForwardedPrefix).toBeUndefined();
    expect(parse(upstreamVhostFeature, { 'x-forwarded-prefix': '/$1/$2' }).result).toMatchObject({ xForwardedPrefix: '$portico_forwarded_prefix', xForwardedPrefixCaptures: '/$1/$2' });
  });
});

describe('server-alias', () => {
  test('comma-separated DNS names, wildcards allowed, duplicates dropped', () => {
    expect(parse(serverAliasFeature, { 'server-alias': 'a.test, *.b.test,a.test' }).result).toEqual({ hosts: ['a.test', '*.b.test'] });
    for (const bad of ['~^.*$', 'a.test;b', 'A_B.test', '127.0.0.1', 'a.test b.test']) {
      expect([bad, parse(serverAliasFeature, { 'server-alias': bad }).error?.annotation]).toEqual([bad, 'server-alias']);
    }
  });
});

describe('custom-http-errors, default-backend, service-upstream', () => {
  test('codes from 400 to 599', () => {
    expect(parseErrorCodes('404, 503,404')).toEqual([404, 503]);
    for (const bad of ['200', '600', '40x', '', '404;500']) expect([bad, typeof parseErrorCodes(bad)]).toEqual([bad, 'string']);
    expect(parseGlobalConfig({ data: { 'custom-http-errors': '502,504' } }).config.customHttpErrors.codes).toEqual([502, 504]);
  });
  test('default-backend is a Service name in the Ingress namespace', () => {
    expect(parse(customHttpErrorsFeature, { 'default-backend': 'errors' }).result?.defaultBackend).toBe('errors');
    for (const bad of ['other/errors', 'errors.other', 'Errors', '']) {
      expect([bad, parse(customHttpErrorsFeature, { 'default-backend': bad }).error?.annotation]).toEqual([bad, 'default-backend']);
    }
  });
  test('service-upstream is a boolean', () => {
    expect(parse(serviceUpstreamFeature, { 'service-upstream': 'true' }).result).toEqual({ enabled: true });
    expect(parse(serviceUpstreamFeature, { 'service-upstream': 'yes' }).error?.annotation).toBe('service-upstream');
  });
});
