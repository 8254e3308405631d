import { describe, expect, it } from '@jest/globals';
import { assertDialable, claimAddress, isDialable, releaseAddress } from './dial-guard.js';

describe('dial guard', () => {
  it('allows loopback only, until a namespace of the harness claims an address', () => {
    expect(isDialable('127.0.0.1')).toBe(true);
    expect(isDialable('127.0.1.7')).toBe(true);
    expect(isDialable('::1')).toBe(true);
    expect(isDialable('localhost')).toBe(true);
    expect(() => assertDialable('8.8.8.8')).toThrow(/refusing to dial 8\.8\.8\.8/);
    expect(isDialable('10.214.3.2')).toBe(false);
    claimAddress('10.214.3.2', 'pod a/b');
    expect(isDialable('10.214.3.2')).toBe(true);
    releaseAddress('10.214.3.2');
    expect(() => assertDialable('10.214.3.2')).toThrow(/not loopback/);
  });
});
