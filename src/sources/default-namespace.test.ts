import { describe, expect, test } from '@jest/globals';
import { withDefaultNamespace } from './default-namespace.js';

describe('withDefaultNamespace', () => {
  test('namespaced kinds without a namespace get the given one; others and namespaced ones are unchanged', () => {
    const ingress = { kind: 'Ingress', metadata: { name: 'web' } };
    const placed = { kind: 'Service', metadata: { name: 'api', namespace: 'shop' } };
    const klass = { kind: 'IngressClass', metadata: { name: 'nginx' } };
    const out = withDefaultNamespace([ingress, placed, klass, { kind: 'Secret' }], 'team');
    expect(out.map((o) => o.metadata?.namespace)).toEqual(['team', 'shop', undefined, 'team']);
    expect(ingress.metadata).toEqual({ name: 'web' });
    expect(out[1]).toBe(placed);
    expect(out[2]).toBe(klass);
  });
});
