import type { ConfigMap } from '../store/types.js';
import { DEFAULT_GLOBAL_CONFIG, parseGlobalConfig } from '../features/registry.js';

const configMap = (data: Record<string, string>): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data }) as ConfigMap;

describe('parseGlobalConfig: values nginx -t refuses are ignored with a reason, the other keys apply', () => {
  it.each([
    ['proxy-buffers-number', '2', /at least 3/],
    ['proxy-buffer-size', '0', /must not be 0/],
    ['proxy-buffer-size', '2000m', /at most 1024m/],
    ['ssl-ciphers', 'NOPE', /OpenSSL matches no cipher/],
    ['ssl-ciphers', 'RC4-SHA:DES-CBC3-SHA', /OpenSSL matches no cipher/],
    ['ssl-ciphers', 'TLS_AES_128_GCM_SHA256', /TLS 1\.3 suites only/],
  ])('%s: %s', (key, value, reason) => {
    const { config, issues } = parseGlobalConfig(configMap({ [key]: value, 'proxy-read-timeout': '42' }));
    expect(issues).toEqual([{ key, reason: expect.stringMatching(reason) }]);
    expect(issues[0]!.reason).toMatch(/the default is kept$/);
    expect(config.proxy.bufferSize).toBe(DEFAULT_GLOBAL_CONFIG.proxy.bufferSize);
    expect(config.proxy.buffersNumber).toBe(DEFAULT_GLOBAL_CONFIG.proxy.buffersNumber);
    expect(config.sslCiphers).toBe(DEFAULT_GLOBAL_CONFIG.sslCiphers);
    expect(config.proxy.readTimeout).toBe(42);
  });

  it.each([
    ['proxy-buffers-number', '3'],
    ['proxy-buffer-size', '1024m'],
    ['ssl-ciphers', 'HIGH:!aNULL'],
    ['ssl-ciphers', 'ECDHE-RSA-AES128-GCM-SHA256:NOT-A-CIPHER'],
    ['ssl-ciphers', 'TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256'],
  ])('accepts %s: %s (nginx -t passes it)', (key, value) => {
    expect(parseGlobalConfig(configMap({ [key]: value })).issues).toEqual([]);
  });

  it('checks a buffers number against the buffer size set beside it', () => {
    const { config, issues } = parseGlobalConfig(configMap({ 'proxy-buffer-size': '16k', 'proxy-buffers-number': '2' }));
    expect(issues.map((i) => i.key)).toEqual(['proxy-buffers-number']);
    expect(config.proxy).toMatchObject({ bufferSize: '16k', buffersNumber: DEFAULT_GLOBAL_CONFIG.proxy.buffersNumber });
  });
});
