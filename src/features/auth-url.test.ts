import { describe, expect, test } from '@jest/globals';
import { authUrlFeature, checkAuthUrl, resolverArgs } from './auth-url.js';
import { parseFamily } from '../../test/support/annotation-input.js';

function parse(annotations: Record<string, string>, resolvers?: string[]) {
  return parseFamily(authUrlFeature, annotations, {
    ref: { namespace: 'web', name: 'shop' },
    options: { resolvers },
  });
}

describe('external auth annotations', () => {
  test('off without auth-url; related keys alone warn', () => {
    expect(parse({}).result?.url).toBeUndefined();
    expect(parse({ 'auth-signin': 'https://x.test/' }).warnings).toEqual(['auth-signin is ignored without auth-url']);
  });

  test('a full configuration', () => {
    expect(
      parse({
        'auth-url': 'http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth?allowed_groups=a,b',
        'auth-method': 'post',
        'auth-signin': 'https://login.example.com/oauth2/start',
        'auth-response-headers': 'X-Auth-Request-User, X-Auth-Request-Email',
      }, ['10.96.0.10', 'fd00::a', 'not-an-ip']).result,
    ).toEqual({
      url: 'http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth?allowed_groups=a,b',
      method: 'POST',
      location: '/_portico_auth;web;shop',
      signinRedirect: 'https://login.example.com/oauth2/start?rd=$scheme://$http_host$request_uri',
      responseHeaders: [
        { name: 'X-Auth-Request-User', variable: 'x_auth_request_user' },
        { name: 'X-Auth-Request-Email', variable: 'x_auth_request_email' },
      ],
      resolveAtRequestTime: true,
      resolvers: ['10.96.0.10', '[fd00::a]'],
      alwaysSetCookie: false,
      escapeRedirect: false,
    });
  });

  test('with the set-misc module, rd= carries the URL-escaped URI', () => {
    const r = parseFamily(authUrlFeature, { 'auth-url': 'http://10.0.0.1/auth', 'auth-signin': 'https://login.example.com/start' }, {
      ref: { namespace: 'web', name: 'shop' },
      options: { setMiscModule: '/usr/lib/nginx/modules/ngx_http_set_misc_module.so' },
    }).result;
    expect([r?.escapeRedirect, r?.signinRedirect]).toEqual([true, 'https://login.example.com/start?rd=$scheme://$http_host$portico_escaped_request_uri']);
  });

  test('a host name is resolved when requests arrive; without a resolver that fails closed, with a warning', () => {
    const r = parse({ 'auth-url': 'http://auth.example.com/' });
    expect(r.result?.resolveAtRequestTime).toBe(true);
    expect(r.warnings).toEqual(['auth-url: host auth.example.com is resolved when requests arrive and no DNS resolver is configured; its requests answer 500']);
    expect(parse({ 'auth-url': 'http://10.0.0.1/' }).result?.resolveAtRequestTime).toBe(false);
    expect(parse({ 'auth-url': 'http://[::1]/' }).warnings).toEqual([]);
  });

  test('a URL without a path gets "/" (proxy_pass would otherwise forward the internal URI); signin keeps its query', () => {
    const r = parse({ 'auth-url': 'https://10.0.0.5:8443', 'auth-signin': 'https://l.test/s?x=1', 'auth-signin-redirect-param': 'return_to' });
    expect(r.result?.resolveAtRequestTime).toBe(false);
    expect(r.result?.url).toBe('https://10.0.0.5:8443/');
    expect(r.result?.signinRedirect).toBe('https://l.test/s?x=1&return_to=$scheme://$http_host$request_uri');
    expect(parse({ 'auth-url': 'http://[::1]:9000?a=b' }).result?.url).toBe('http://[::1]:9000/?a=b');
  });

  test.each([
    ['http://auth.test/$hostname', /\(\$hostname is not one\)/],
    ['http://auth.test/$arg_x', /\(\$arg_x is not one\)/],
    ['http://$http_host/x', /\$http_host is not allowed in the URL's host/],
    ['http://a$host/x', /whole host/],
    ['http://$host.evil.test/x', /whole host/],
    ['http://a.test:$server_port/x', /not allowed in the URL's host/],
    ['$host://a.test/x', /not allowed in the URL's scheme/],
    ['http://auth.test/$', /"\$" is not allowed except to start one of the variables/],
    ['http://auth.test/${request_uri}', /"\$"/],
    ['http://auth.test/a;proxy_pass http://evil', /";"/],
    ['http://auth.test/"', /"\\""/],
    ['http://auth.test/a\nb', /U\+000A/],
    ['http://auth.test/a b', /" "/],
    ['http://auth.test/{x}', /"\{"/],
    ['http://auth.test/#frag', /"#"/],
    ['http://auth.test/\\x', /"\\\\"/],
    ['http://аuth.test/', /U\+0430/],
    ['ftp://auth.test/', /http:\/\/ or https:\/\//],
    ['//auth.test/', /http:\/\/ or https:\/\//],
    ['http://auth_test/', /not a DNS name/],
    ['http://auth.test:0/', /port/],
    ['http://auth.test:99999/', /port/],
    ['http://[zz::1]/', /not a DNS name|IPv6/],
    ['http://auth.test/../../etc/passwd', /"\.\."/],
    ['http://auth.test/a[1]', /brackets/],
    ['', /empty/],
  ])('auth-url %j is rejected', (url, reason) => {
    const r = parse({ 'auth-url': url });
    expect(r.error?.annotation).toBe('auth-url');
    expect(r.error?.reason).toMatch(reason);
  });

  test.each([
    [{ 'auth-method': 'GET;' }, 'auth-method'],
    [{ 'auth-method': 'TRACE' }, 'auth-method'],
    [{ 'auth-signin': 'https://l.test/?rd=$cookie_session' }, 'auth-signin'],
    [{ 'auth-signin': 'https://l.test/?rd=$request_uri;' }, 'auth-signin'],
    [{ 'auth-signin-redirect-param': 'rd&x' , 'auth-signin': 'https://l.test/' }, 'auth-signin-redirect-param'],
    [{ 'auth-response-headers': 'X-Ok, X Bad' }, 'auth-response-headers'],
    [{ 'auth-response-headers': 'X-User;add_header' }, 'auth-response-headers'],
    [{ 'auth-response-headers': '$upstream_http_x' }, 'auth-response-headers'],
    [{ 'auth-response-headers': 'X-User, Host' }, 'auth-response-headers'],
    [{ 'auth-response-headers': 'transfer-encoding' }, 'auth-response-headers'],
  ])('%j is rejected', (annotations, key) => {
    expect(parse({ 'auth-url': 'http://a.test/', ...annotations }).error?.annotation).toBe(key);
  });

  test('resolver addresses: IPs with an optional port; anything else is dropped', () => {
    expect(resolverArgs(['10.0.0.10', '127.0.0.1:5353', '::1', '[fd00::1]:53', 'dns.local', '1.2.3.4:0', '1.2.3.4;', '[::1]:99999'])).toEqual([
      '10.0.0.10',
      '127.0.0.1:5353',
      '[::1]',
      '[fd00::1]:53',
    ]);
  });

  test('nginx variables from a fixed list, as in ingress-nginx\'s oauth2-proxy example', () => {
    const r = parse({ 'auth-url': 'https://$host/oauth2/auth', 'auth-signin': 'https://$host/oauth2/start?rd=$escaped_request_uri' }, ['10.96.0.10']);
    expect(r.result).toMatchObject({
      url: 'https://$host/oauth2/auth',
      resolveAtRequestTime: true,
      // The sign-in URL sets rd= itself: kept, not added twice; ingress-nginx's variable is Portico's own.
      signinRedirect: 'https://$host/oauth2/start?rd=$portico_escaped_request_uri',
    });
    for (const u of ['$scheme://$server_name:8080/auth?uri=$request_uri&h=$http_host', 'http://10.0.0.1/a?p=$server_port&u=$escaped_request_uri']) {
      expect([u, checkAuthUrl(u)]).toEqual([u, undefined]);
    }
    expect(parse({ 'auth-url': 'http://10.0.0.1/a?u=$request_uri' }, ['10.96.0.10']).result?.resolveAtRequestTime).toBe(true);
  });

  test('checkAuthUrl accepts ordinary URLs', () => {
    for (const u of ['http://a.test/', 'https://auth.example.com/verify?x=1&y=%20', 'http://10.1.2.3:8080/a/b-c_d.e~f', 'http://[fd00::1]:80/x']) {
      expect([u, checkAuthUrl(u)]).toEqual([u, undefined]);
    }
  });
});
