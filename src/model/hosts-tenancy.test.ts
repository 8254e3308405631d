import { describe, expect, test } from '@jest/globals';
import { hostOwnerNamespaces } from './hosts.js';

describe('host ownership (tenancy)', () => {
  test("each host belongs to the namespace of its oldest non-canary Ingress; canaries own nothing", () => {
    const owners = hostOwnerNamespaces([
      { namespace: 'shop', hosts: ['a.test', ''], canary: false },
      { namespace: 'other', hosts: ['a.test', 'b.test'], canary: false },
      { namespace: 'early-canary', hosts: ['c.test'], canary: true },
      { namespace: 'late', hosts: ['c.test'], canary: false },
    ]);
    expect(Object.fromEntries(owners)).toEqual({ 'a.test': 'shop', '': 'shop', 'b.test': 'other', 'c.test': 'late' });
  });
});
