import { describe, expect, test } from '@jest/globals';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { KubeObject } from '../store/types.js';
import type { StateFile } from '../model/types.js';
import { authBasicFeature, checkRealm, secretRef } from './auth-basic.js';
import { AnnotationError, type AnnotationInput } from './feature.js';

const secret = (name: string, data: Record<string, string>, namespace = 'web', binary = false): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    ...(binary ? { data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) } : { stringData: data }),
  }) as KubeObject;

function parse(annotations: Record<string, string>, objects: KubeObject[] = []) {
  const warnings: string[] = [];
  const files: StateFile[] = [];
  const input = {
    ref: { namespace: 'web', name: 'shop' },
    get: (k: string) => annotations[k],
    warn: (m: string) => warnings.push(m),
    addFile: (f: StateFile) => files.push(f),
    snapshot: snapshotFromObjects(objects),
    options: { stateDir: '/var/lib/portico/' },
  } as unknown as AnnotationInput;
  try {
    return { result: authBasicFeature.parse(input, {}), warnings, files };
  } catch (err) {
    if (err instanceof AnnotationError) return { error: err, warnings, files };
    throw err;
  }
}

const HASH = '{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=';

describe('basic auth annotations', () => {
  test('off without auth-type; a stray auth-secret warns', () => {
    expect(parse({}).result?.enabled).toBe(false);
    expect(parse({ 'auth-secret': 'x' }).warnings[0]).toMatch(/ignored without auth-type/);
  });

  test('an htpasswd Secret (base64 data) becomes a 0600 worker-readable file named after the Ingress', () => {
    const r = parse({ 'auth-type': 'basic', 'auth-secret': 'creds' }, [secret('creds', { auth: `alice:${HASH}\r\n# comment\n\nbob:$apr1$x$y\n` }, 'web', true)]);
    const path = expect.stringMatching(/^auth\/web_shop\.[0-9a-f]{16}\.htpasswd$/);
    expect(r.result).toEqual({ enabled: true, realm: 'Authentication Required', userFile: `/var/lib/portico/${r.files[0]?.path}`, unavailable: undefined });
    expect(r.files).toEqual([{ path, content: `alice:${HASH}\nbob:$apr1$x$y\n`, mode: 0o600, readByWorkers: true }]);
  });

  test('the file is named by its content: the same credentials keep their file, changed ones get a new one', () => {
    const file = (auth: string) => parse({ 'auth-type': 'basic', 'auth-secret': 'creds' }, [secret('creds', { auth })]).files[0]!.path;
    expect(file(`alice:${HASH}\n`)).toBe(file(`alice:${HASH}`));
    expect(file(`alice:${HASH}\n`)).not.toBe(file(`bob:${HASH}\n`));
  });

  test('the warning for an unusable line names the line or key, never its text', () => {
    const auth = parse({ 'auth-type': 'basic', 'auth-secret': 'creds' }, [secret('creds', { auth: `alice:${HASH}\nSECRETUSER:bad hash` })]);
    expect(auth.warnings).toEqual(['auth-secret: Secret web/creds: line 2 of "auth": the password hash is not valid; the line is ignored (nobody signs in with it)']);
    const map = parse({ 'auth-type': 'basic', 'auth-secret': 'creds', 'auth-secret-type': 'auth-map' }, [secret('creds', { 'SECRET-key': 'bad hash' })]);
    expect(map.warnings[0]).toBe('auth-secret: Secret web/creds: key "SECRET-key": the password hash is not valid; the line is ignored (nobody signs in with it)');
    for (const r of [auth, map]) expect(JSON.stringify([r.result, r.warnings, r.files])).not.toMatch(/SECRETUSER|bad hash/);
  });

  test('auth-map: each key is a user; a Secret in another namespace by namespace/name', () => {
    const r = parse({ 'auth-type': 'basic', 'auth-secret': 'vault/users', 'auth-secret-type': 'auth-map', 'auth-realm': "Bob's shop" }, [
      secret('users', { zed: HASH, amy: `${HASH}\n` }, 'vault'),
    ]);
    expect(r.result?.realm).toBe("Bob's shop");
    expect(r.files[0]?.content).toBe(`amy:${HASH}\nzed:${HASH}\n`);
  });

  test.each([
    [{ 'auth-secret': 'creds' }, [secret('creds', { auth: 'no colon here' })], /line 1 of "auth" is not USER:HASH; the line is ignored/],
    [{ 'auth-secret': 'creds' }, [secret('creds', { auth: '\n# only comments\n' })], /holds no usable user; its paths answer 401/],
    [{ 'auth-secret': 'creds' }, [secret('creds', { auth: 'alice:has space' })], /line 1 of "auth": the password hash is not valid; the line is ignored/],
    [{ 'auth-secret': 'creds' }, [secret('creds', { auth: 'foo:' })], /line 1 of "auth": the password hash is not valid; the line is ignored/],
    [{ 'auth-secret': 'creds', 'auth-secret-type': 'auth-map' }, [secret('creds', { 'bad user': HASH })], /key 1 \(in name order\): the user name is not a valid htpasswd user name; the line is ignored/],
  ])('an unusable line is left out with a warning; with no usable line every request answers 401: %j', (annotations, objects, reason) => {
    const r = parse({ 'auth-type': 'basic', ...annotations }, objects as KubeObject[]);
    expect(r.result?.enabled).toBe(true);
    expect(r.result?.unavailable).toBeUndefined();
    expect(r.warnings).toContainEqual(expect.stringMatching(reason));
    expect(r.files.map((f) => f.content)).toEqual(['\n']);
  });

  test('the usable lines of a Secret with an unusable one still sign in', () => {
    const r = parse({ 'auth-type': 'basic', 'auth-secret': 'creds' }, [secret('creds', { auth: `foo:\nalice:${HASH}\n` })] as KubeObject[]);
    expect(r.files.map((f) => f.content)).toEqual([`alice:${HASH}\n`]);
    expect(r.warnings).toEqual([expect.stringMatching(/line 1 of "auth": the password hash is not valid; the line is ignored/)]);
  });

  test.each([
    [{ 'auth-secret': 'nope' }, [], /Secret web\/nope not found/],
    [{ 'auth-secret': 'creds' }, [secret('creds', { other: 'x' })], /has no "auth" key/],
  ])('a missing Secret or key closes the paths (503) with a warning: %j', (annotations, objects, reason) => {
    const r = parse({ 'auth-type': 'basic', ...annotations }, objects as KubeObject[]);
    expect(r.result?.enabled).toBe(true);
    expect(r.result?.userFile).toBeUndefined();
    expect(r.result?.unavailable).toMatch(reason);
    expect(r.warnings[0]).toMatch(/its paths answer 503/);
    expect(r.files).toEqual([]);
  });

  test.each([
    [{ 'auth-type': 'digest', 'auth-secret': 'x' }, 'auth-type', /digest is not supported/],
    [{ 'auth-type': 'Basic; x', 'auth-secret': 'x' }, 'auth-type', /must be "basic"/],
    [{ 'auth-type': 'basic' }, 'auth-secret', /is required/],
    [{ 'auth-type': 'basic', 'auth-secret': '../../etc/passwd' }, 'auth-secret', /NAME or NAMESPACE\/NAME/],
    [{ 'auth-type': 'basic', 'auth-secret': '..' }, 'auth-secret', /DNS subdomain/],
    [{ 'auth-type': 'basic', 'auth-secret': 'kube-system/Admin' }, 'auth-secret', /DNS subdomain/],
    [{ 'auth-type': 'basic', 'auth-secret': 'x', 'auth-secret-type': 'file' }, 'auth-secret-type', /auth-file/],
    [{ 'auth-type': 'basic', 'auth-secret': 'x', 'auth-realm': 'a"; include /etc/x; "' }, 'auth-realm', /character "\\"" is not allowed/],
    [{ 'auth-type': 'basic', 'auth-secret': 'x', 'auth-realm': '$host' }, 'auth-realm', /"\$"/],
    [{ 'auth-type': 'basic', 'auth-secret': 'x', 'auth-realm': 'line\nbreak' }, 'auth-realm', /U\+000A/],
  ])('rejects %j', (annotations, key, reason) => {
    const r = parse(annotations as Record<string, string>);
    expect(r.error?.annotation).toBe(key);
    expect(r.error?.reason).toMatch(reason);
  });

  test('helpers', () => {
    expect(secretRef('k', 'a/b', 'ns')).toEqual({ namespace: 'a', name: 'b' });
    expect(secretRef('k', ' b ', 'ns')).toEqual({ namespace: 'ns', name: 'b' });
    expect(checkRealm('Staff (only): yes!')).toBeUndefined();
    expect(checkRealm('{x}')).toMatch(/"\{"/);
  });
});
