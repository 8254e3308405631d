import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { contentAddressedPath } from './state-files.js';

describe('contentAddressedPath', () => {
  test('owner, 16 hex digits of the content digest, extension; the same content, the same name', () => {
    const plain = createHash('sha256').update('alice:x\n').digest('hex').slice(0, 16);
    expect(contentAddressedPath('auth', 'ns_ing', 'htpasswd', 'alice:x\n')).toBe(`auth/ns_ing.${plain}.htpasswd`);
    expect(contentAddressedPath('auth', 'ns_ing', 'htpasswd', 'bob:x\n')).not.toBe(`auth/ns_ing.${plain}.htpasswd`);
  });

  test('with a key, the digest is not the plain one (no offline oracle for the content), and stable for that key', () => {
    const keyed = contentAddressedPath('auth', 'ns_ing', 'htpasswd', 'alice:x\n', 'k1');
    expect(keyed).not.toBe(contentAddressedPath('auth', 'ns_ing', 'htpasswd', 'alice:x\n'));
    expect(keyed).not.toBe(contentAddressedPath('auth', 'ns_ing', 'htpasswd', 'alice:x\n', 'k2'));
    expect(contentAddressedPath('auth', 'ns_ing', 'htpasswd', 'alice:x\n', 'k1')).toBe(keyed);
  });
});
