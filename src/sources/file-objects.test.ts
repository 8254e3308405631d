import { describe, expect, test } from '@jest/globals';
import { snapshotFromObjects, Store } from '../store/snapshot.js';
import type { KubeObject } from '../store/types.js';
import { FileObjects } from './file-objects.js';

const svc = (name: string, version: string, namespace = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels: { version } } }) as KubeObject;
const version = (o: KubeObject | undefined) => (o?.metadata as { labels?: Record<string, string> } | undefined)?.labels?.version;

describe('FileObjects', () => {
  test('the last file in name order wins; removing it brings back the earlier version', () => {
    const files = new FileObjects();
    files.set('/m/a.yaml', [svc('web', 'a')]);
    expect(files.set('/m/b.yaml', [svc('web', 'b')]).map((c) => version(c.object))).toEqual(['b']);
    expect(files.set('/m/a.yaml', [svc('web', 'a2')]).map((c) => version(c.object))).toEqual(['b']);
    expect(files.set('/m/b.yaml', undefined).map((c) => version(c.object))).toEqual(['a2']);
    expect(files.set('/m/a.yaml', undefined)).toEqual([{ kind: 'Service', key: 'default/web', object: undefined }]);
    expect(files.all()).toEqual([]);
  });

  test('a changed file touches only the objects it had or has; the last document of a file wins; other kinds are ignored', () => {
    const files = new FileObjects();
    files.set('/m/one.yaml', [svc('a', '1'), svc('b', '1')]);
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } } as KubeObject;
    const changes = files.set('/m/one.yaml', [svc('b', '2'), svc('c', '1'), svc('c', '2'), deployment]);
    expect(changes.map((c) => [c.key, version(c.object)])).toEqual([
      ['default/a', undefined],
      ['default/b', '2'],
      ['default/c', '2'],
    ]);
    expect(files.objectCount).toBe(4);
  });

  test('random edits: the store fed with the changes equals a snapshot read from all files in name order', () => {
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const files = new FileObjects();
    const contents = new Map<string, KubeObject[]>();
    const store = new Store();
    for (let step = 0; step < 500; step++) {
      const file = `/m/f${random(8)}.yaml`;
      const objects = random(5) === 0 ? undefined : Array.from({ length: random(4) }, () => svc(`s${random(6)}`, `${step}`, `ns${random(2)}`));
      if (objects) contents.set(file, objects);
      else contents.delete(file);
      for (const c of files.set(file, objects)) {
        if (c.object) store.upsert(c.object);
        else store.remove(c.kind, c.key);
      }
      const expected = snapshotFromObjects([...contents.keys()].sort().flatMap((f) => contents.get(f)!));
      expect([...store.snapshot().services.entries()].sort()).toEqual([...expected.services.entries()].sort());
    }
  });
});
