import { describe, expect, test } from '@jest/globals';
import { serverNamesFor, serverNamesHashBucketSize } from './hosts.js';
import { checkHost } from './validate.js';

describe('hosts', () => {
  test('a wildcard becomes a regex that matches exactly one label', () => {
    const [name] = serverNamesFor('*.foo.com');
    const re = new RegExp(name!.slice(1));
    expect(re.test('bar.foo.com')).toBe(true);
    expect(re.test('baz.bar.foo.com')).toBe(false);
    expect(re.test('foo.com')).toBe(false);
    expect(re.test('barxfoo.com')).toBe(false);
  });

  test('exact hosts and the catch-all', () => {
    expect(serverNamesFor('a.b')).toEqual(['a.b']);
    expect(serverNamesFor('')).toEqual(['_']);
  });

  test('host validation', () => {
    expect(checkHost('foo.example.com')).toBeUndefined();
    expect(checkHost('*.example.com')).toBeUndefined();
    expect(checkHost('a.*.example.com')).toBeDefined();
    expect(checkHost('Foo.com')).toBeDefined();
    expect(checkHost('foo.com;')).toBeDefined();
    expect(checkHost('fоо.com')).toMatch(/U\+043E/); // Cyrillic look-alikes
    expect(checkHost('10.0.0.1')).toBeDefined();
  });

  test('server_names_hash_bucket_size fits the longest exact name (nginx 1.22 on 64-bit: 128 holds 110 characters, not 111)', () => {
    const name = (n: number) => 'a'.repeat(n);
    expect(serverNamesHashBucketSize([])).toBe(128);
    expect(serverNamesHashBucketSize(['_', name(110)])).toBe(128);
    expect(serverNamesHashBucketSize([name(111)])).toBe(256);
    expect(serverNamesHashBucketSize([name(238)])).toBe(256);
    expect(serverNamesHashBucketSize([name(239), 'x.test'])).toBe(512);
    expect(serverNamesHashBucketSize([name(253)])).toBe(512);
    // Wildcards are regex server names: not in the hash.
    expect(serverNamesHashBucketSize([`~^[^.]+\\.${name(250)}$`])).toBe(128);
  });
});
