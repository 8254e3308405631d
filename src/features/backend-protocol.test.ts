import { describe, expect, test } from '@jest/globals';
import { backendProtocolFeature } from './backend-protocol.js';
import { checkParamValue, fastcgiParams, STANDARD_FASTCGI_PARAMS } from './fastcgi.js';
import { parseFamily } from '../../test/support/annotation-input.js';

const ref = { namespace: 'php', name: 'app' };

function parse(annotations: Record<string, string>, configMaps: Record<string, Record<string, string>> = {}) {
  const snapshot = { configMaps: new Map(Object.entries(configMaps).map(([k, data]) => [k, { metadata: {}, data }])) };
  return parseFamily(backendProtocolFeature, annotations, { ref, snapshot });
}

describe('backend-protocol', () => {
  test('HTTP by default; HTTPS, GRPC, GRPCS, FCGI in any case; AUTO_HTTP is HTTP', () => {
    expect(parse({}).result).toEqual({ protocol: 'HTTP' });
    expect(parse({ 'backend-protocol': 'grpcs' }).result?.protocol).toBe('GRPCS');
    expect(parse({ 'backend-protocol': 'AUTO_HTTP' }).result?.protocol).toBe('HTTP');
    expect(parse({ 'backend-protocol': 'fcgi' }).result).toEqual({ protocol: 'FCGI', fastcgi: { index: undefined, params: [...STANDARD_FASTCGI_PARAMS] } });
    expect(parse({ 'backend-protocol': 'AJP' }).error?.reason).toBe('must be HTTP, HTTPS, GRPC, GRPCS, FCGI or AUTO_HTTP');
  });

  test('fastcgi-* keys without FCGI are ignored with a warning', () => {
    expect(parse({ 'fastcgi-index': 'index.php' }).warnings).toEqual(['fastcgi-index is ignored without backend-protocol: FCGI']);
  });

  test('fastcgi-index: a file name; a malformed one without unsafe characters falls back to none with a warning', () => {
    expect(parse({ 'backend-protocol': 'FCGI', 'fastcgi-index': 'index.php' }).result?.fastcgi?.index).toBe('index.php');
    const odd = parse({ 'backend-protocol': 'FCGI', 'fastcgi-index': 'a/b.php' });
    expect(odd.result?.fastcgi?.index).toBeUndefined();
    expect(odd.warnings[0]).toMatch(/^annotation fastcgi-index: "a\/b.php" must be a file name/);
    expect(parse({ 'backend-protocol': 'FCGI', 'fastcgi-index': 'x"y' }).error?.annotation).toBe('fastcgi-index');
  });

  test('fastcgi-params-configmap: same namespace only; an empty value names none; a missing one denies the paths', () => {
    const fcgi = { 'backend-protocol': 'FCGI' };
    expect(parse({ ...fcgi, 'fastcgi-params-configmap': '' }).result?.fastcgi?.unavailable).toBeUndefined();
    expect(parse({ ...fcgi, 'fastcgi-params-configmap': 'a/b/c' }).error?.reason).toBe('must be NAME or NAMESPACE/NAME');
    expect(parse({ ...fcgi, 'fastcgi-params-configmap': 'kube-system/cm' }).error?.reason).toMatch(/another namespace/);
    expect(parse({ ...fcgi, 'fastcgi-params-configmap': 'nope' }).result?.fastcgi?.unavailable).toMatch(/ConfigMap php\/nope not found/);
    const ok = parse({ ...fcgi, 'fastcgi-params-configmap': 'php/cm' }, { 'php/cm': { SCRIPT_FILENAME: '/x.php' } });
    expect(ok.result?.fastcgi?.params).toContainEqual({ name: 'SCRIPT_FILENAME', value: '/x.php' });
  });
});

describe('fastcgi params', () => {
  test('literal text and allowlisted variables pass; anything else names the reason, never the value', () => {
    for (const ok of ['/home/www/scripts/php$fastcgi_script_name', '$document_root$fastcgi_script_name', '200', 'memory_limit=256M', '${document_root}/index.php', '']) {
      expect(checkParamValue(ok)).toBeUndefined();
    }
    expect(checkParamValue('/x;y')).toMatch(/^character ";" is not allowed/);
    expect(checkParamValue('a"b')).toMatch(/^character "\\"" is not allowed/);
    expect(checkParamValue('a\nb')).toMatch(/^character U\+000A is not allowed/);
    expect(checkParamValue('$http_authorization')).toMatch(/^the nginx variable \$http_authorization is not allowed/);
    expect(checkParamValue('price$')).toMatch(/character "\$"/);
    expect(checkParamValue('${uri')).toMatch(/character/);
    expect(checkParamValue(' x')).toMatch(/whitespace/);
  });

  test('a ConfigMap key of the standard list replaces it; others follow in key order', () => {
    const params = fastcgiParams('php/cm', { ZED: '1', SCRIPT_NAME: '/app.php', ALPHA: '2' });
    expect(params.filter((p) => p.name === 'SCRIPT_NAME')).toEqual([{ name: 'SCRIPT_NAME', value: '/app.php' }]);
    expect(params.slice(-2).map((p) => p.name)).toEqual(['ALPHA', 'ZED']);
    expect(() => fastcgiParams('php/cm', { 'A-B': 'x' })).toThrow(/ConfigMap php\/cm key "A-B"/);
  });
});
