import { describe, expect, test } from '@jest/globals';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { Ingress, KubeObject } from '../store/types.js';
import { isOwnedIngress } from './ownership.js';
import { DEFAULT_MODEL_OPTIONS } from './types.js';

const ours = { kind: 'IngressClass', metadata: { name: 'portico' }, spec: { controller: 'portico.dev/ingress-controller' } };
const theirs = { kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };
const ing = (spec: Ingress['spec'], annotations?: Record<string, string>): Ingress => ({ kind: 'Ingress', metadata: { name: 'x', namespace: 'y', annotations }, spec });

describe('isOwnedIngress', () => {
  const snap = snapshotFromObjects([ours, theirs] as KubeObject[]);
  const o = DEFAULT_MODEL_OPTIONS;

  test('ingressClassName naming an IngressClass with our controller', () => {
    expect(isOwnedIngress(ing({ ingressClassName: 'portico' }), snap, o)).toBe(true);
    expect(isOwnedIngress(ing({ ingressClassName: 'nginx' }), snap, o)).toBe(false);
    expect(isOwnedIngress(ing({ ingressClassName: 'absent' }), snap, o)).toBe(false);
  });

  test('taking over ingress-nginx Ingresses with --controller-class / --ingress-class', () => {
    const takeover = { ...o, controllerClass: 'k8s.io/ingress-nginx', ingressClass: 'nginx' };
    expect(isOwnedIngress(ing({ ingressClassName: 'nginx' }), snap, takeover)).toBe(true);
    expect(isOwnedIngress(ing({}, { 'kubernetes.io/ingress.class': 'nginx' }), snap, takeover)).toBe(true);
    expect(isOwnedIngress(ing({ ingressClassName: 'portico' }), snap, takeover)).toBe(false);
  });

  test('the legacy annotation', () => {
    expect(isOwnedIngress(ing({}, { 'kubernetes.io/ingress.class': 'portico' }), snap, o)).toBe(true);
    expect(isOwnedIngress(ing({}, { 'kubernetes.io/ingress.class': 'nginx' }), snap, o)).toBe(false);
  });

  test('classless Ingresses: only with the flag or a default IngressClass of ours', () => {
    expect(isOwnedIngress(ing({}), snap, o)).toBe(false);
    expect(isOwnedIngress(ing({}), snap, { ...o, watchIngressWithoutClass: true })).toBe(true);
    const defaulted = snapshotFromObjects([
      { ...ours, metadata: { name: 'portico', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } },
    ] as KubeObject[]);
    expect(isOwnedIngress(ing({}), defaulted, o)).toBe(true);
    const theirDefault = snapshotFromObjects([
      { ...theirs, metadata: { name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } },
    ] as KubeObject[]);
    expect(isOwnedIngress(ing({}), theirDefault, o)).toBe(false);
  });
});
