import { describe, expect, it } from '@jest/globals';
import { commandLine, containerEnv, expandVars, PodConfigError, volumeFiles, type Pod, type PodLookups } from './pod-spec.js';

const pod: Pod = {
  metadata: { name: 'web-1', namespace: 'apps', uid: 'u-1', labels: { app: 'web', tier: 'front' } },
  spec: { nodeName: 'node-a', serviceAccountName: 'sa', containers: [{ name: 'c', image: 'x' }] },
  status: { podIP: '10.214.1.2', hostIP: '10.214.1.1' },
};

const lookups: PodLookups = {
  configMap: async (_ns, name) => (name === 'cm' ? { greeting: 'hi', other: 'o' } : undefined),
  secret: async (_ns, name) => (name === 's' ? { token: Buffer.from('t0k') } : undefined),
  serviceAccountToken: async (p) => `token-for-${p.metadata.name}`,
};

describe('pod spec', () => {
  it('expands $(VAR) as Kubernetes does: known names, $$ escapes, unknown stays', () => {
    const vars = new Map([['A', '1'], ['B', 'two']]);
    expect(expandVars('$(A)-$(B)-$(C)-$$(A)-$', vars)).toBe('1-two-$(C)-$(A)-$');
  });

  it('builds the env from envFrom, values, downward API and refs, later entries seeing earlier ones', async () => {
    const env = await containerEnv(
      pod,
      {
        name: 'c',
        image: 'x',
        envFrom: [{ prefix: 'CM_', configMapRef: { name: 'cm' } }],
        env: [
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'token' } } },
          { name: 'URL', value: 'http://$(IP):8080/$(POD)' },
          { name: 'MAYBE', valueFrom: { configMapKeyRef: { name: 'gone', key: 'k', optional: true } } },
        ],
      },
      lookups,
    );
    expect(Object.fromEntries(env)).toEqual({
      CM_greeting: 'hi',
      CM_other: 'o',
      POD: 'web-1',
      TIER: 'front',
      IP: '10.214.1.2',
      TOKEN: 't0k',
      URL: 'http://10.214.1.2:8080/web-1',
    });
    await expect(containerEnv(pod, { name: 'c', image: 'x', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'missing', key: 'k' } } }] }, lookups)).rejects.toThrow(
      /couldn't find key k in secret apps\/missing/,
    );
  });

  it('lets command replace the entrypoint and args replace the default arguments', () => {
    const image = { entrypoint: ['/bin/echo-basic'], cmd: ['--default'] };
    const env = new Map([['POD_NAME', 'web-1']]);
    expect(commandLine({ name: 'c', image: 'x' }, image, env)).toEqual(['/bin/echo-basic', '--default']);
    expect(commandLine({ name: 'c', image: 'x', args: ['$(POD_NAME)', '8080'] }, image, env)).toEqual(['/bin/echo-basic', 'web-1', '8080']);
    expect(commandLine({ name: 'c', image: 'x', command: ['/bin/sh', '-c'], args: ['echo $(POD_NAME)'] }, image, env)).toEqual(['/bin/sh', '-c', 'echo web-1']);
  });

  it('writes secret items, configMaps, downward API and projected tokens; a missing Secret fails the mount', async () => {
    const secret = await volumeFiles(pod, { name: 'tls', secret: { secretName: 's', items: [{ key: 'token', path: 'crt' }] } }, lookups);
    expect(secret).toEqual([{ path: 'crt', content: Buffer.from('t0k'), mode: 0o644 }]);
    const projected = await volumeFiles(
      pod,
      {
        name: 'kube-api-access',
        projected: {
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
            { configMap: { name: 'cm', items: [{ key: 'greeting', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      },
      lookups,
    );
    expect((projected as Array<{ path: string; content: Buffer }>).map((f) => [f.path, f.content.toString()])).toEqual([
      ['token', 'token-for-web-1'],
      ['ca.crt', 'hi'],
      ['namespace', 'apps'],
    ]);
    expect(await volumeFiles(pod, { name: 'scratch', emptyDir: {} }, lookups)).toBe('emptyDir');
    const missing = volumeFiles(pod, { name: 'tls', secret: { secretName: 'nope' } }, lookups);
    await expect(missing).rejects.toBeInstanceOf(PodConfigError);
    await expect(volumeFiles(pod, { name: 'tls', secret: { secretName: 'nope' } }, lookups)).rejects.toThrow(/volume "tls": secret "nope" not found/);
  });
});
