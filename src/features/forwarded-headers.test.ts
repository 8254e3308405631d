import { describe, expect, test } from '@jest/globals';
import { DEFAULT_GLOBAL_CONFIG, parseGlobalConfig } from './registry.js';
import type { ConfigMap } from '../store/types.js';
import { checkLogFormat } from './forwarded-headers.js';

const parse = (data: Record<string, string>) => parseGlobalConfig({ data } as unknown as ConfigMap);

describe('global forwarding keys', () => {
  test('defaults follow ingress-nginx', () => {
    expect(parse({}).config.forwarding).toEqual({
      useForwardedHeaders: false,
      forwardedForHeader: 'X-Forwarded-For',
      computeFullForwardedFor: false,
      proxyRealIpCidr: ['0.0.0.0/0'],
      enableRealIp: false,
      useProxyProtocol: false,
      logFormatUpstream: undefined,
      logFormatEscapeJson: false,
      logFormatEscapeNone: false,
    });
  });

  test('every key parses, and the shared defaults are never mutated', () => {
    const { config, issues } = parse({
      'use-forwarded-headers': 'true',
      'compute-full-forwarded-for': 'true',
      'enable-real-ip': 'true',
      'use-proxy-protocol': 'true',
      'forwarded-for-header': 'CF-Connecting-IP',
      'proxy-real-ip-cidr': '10.0.0.0/8, 192.168.1.1,2001:db8::/32',
    });
    expect(issues).toEqual([]);
    expect(config.forwarding).toMatchObject({
      useForwardedHeaders: true,
      computeFullForwardedFor: true,
      enableRealIp: true,
      useProxyProtocol: true,
      forwardedForHeader: 'CF-Connecting-IP',
      proxyRealIpCidr: ['10.0.0.0/8', '192.168.1.1', '2001:db8::/32'],
    });
    expect(DEFAULT_GLOBAL_CONFIG.forwarding.useProxyProtocol).toBe(false);
    expect(parse({}).config.forwarding.proxyRealIpCidr).toEqual(['0.0.0.0/0']);
  });

  test.each([
    ['use-forwarded-headers', 'yes'],
    ['forwarded-for-header', 'X Forwarded'],
    ['forwarded-for-header', 'X-F;evil'],
    ['proxy-real-ip-cidr', '10.0.0.0/33'],
    ['proxy-real-ip-cidr', 'example.com'],
    ['proxy-real-ip-cidr', '10.0.0.0/8; allow all'],
    ['proxy-real-ip-cidr', ','],
    ['log-format-upstream', '$remote_addr $secret'],
  ])('%s %j is a warning and the default stays', (key, value) => {
    const { config, issues } = parse({ [key]: value });
    expect(issues).toEqual([{ key, reason: expect.stringMatching(/; the default is kept$/) }]);
    expect(config.forwarding).toEqual(DEFAULT_GLOBAL_CONFIG.forwarding);
  });

  test('log-format-upstream: allowlisted variables and plain text; line breaks from YAML are folded', () => {
    const json = '{"time": "$time_iso8601", "client": "$remote_addr", "status": $status, "upstream": "$upstream_addr", "ua": "$http_user_agent"}';
    expect(checkLogFormat(json)).toBeUndefined();
    expect(checkLogFormat('$remote_addr - [$time_local] "$request" ${status}ms $sent_http_content_type')).toBeUndefined();
    expect(parse({ 'log-format-upstream': '$remote_addr\n  $status\n' }).config.forwarding.logFormatUpstream).toBe('$remote_addr $status');
  });

  test.each([
    ['$remote_addr $req_id', /\$req_id is an ingress-nginx \(Lua\) variable: use \$request_id/],
    ['$the_real_ip', /use \$remote_addr/],
    ['$remote_addr $cookie_session', /variable \$cookie_session is not allowed/],
    ['$remote_addrx', /variable \$remote_addrx is not allowed/],
    ['cost: 5$', /"\$" must start an nginx variable name/],
    ['a\\"b', /holds a character that is not allowed/],
    ['a\tb', /holds a character that is not allowed/],
    ['   ', /must not be empty/],
  ])('log-format-upstream %j is refused', (value, reason) => {
    expect(checkLogFormat(value)).toMatch(reason);
  });
});
