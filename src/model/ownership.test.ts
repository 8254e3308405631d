import { describe, expect, test } from '@jest/globals';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { Ingress, KubeObject } from '../store/types.js';
import { isOwnedIngress, missingClassWarnings } from './ownership.js';
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

describe('classes as users have them', () => {
  const snap = snapshotFromObjects([ours] as KubeObject[]);
  const o = { ...DEFAULT_MODEL_OPTIONS, ingressClass: 'nginx', controllerClass: 'k8s.io/ingress-nginx' };

  test('--ingress-class-by-name owns ingressClassName == --ingress-class with no IngressClass object', () => {
    expect(isOwnedIngress(ing({ ingressClassName: 'nginx' }), snap, o)).toBe(false);
    expect(isOwnedIngress(ing({ ingressClassName: 'nginx' }), snap, { ...o, ingressClassByName: true })).toBe(true);
    expect(isOwnedIngress(ing({ ingressClassName: 'other' }), snap, { ...o, ingressClassByName: true })).toBe(false);
  });

  test('an ingressClassName with no IngressClass object is a warning naming the Ingress and the class', () => {
    const ingresses = [ing({ ingressClassName: 'nginx' }), ing({ ingressClassName: 'portico' }), ing({})];
    const warnings = missingClassWarnings(ingresses, snap, o);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.object).toBe('Ingress y/x');
    expect(warnings[0]!.message).toMatch(/"nginx" names no IngressClass object; not served/);
    expect(warnings[0]!.ingress).toBeUndefined();
    expect(missingClassWarnings(ingresses, snap, { ...o, ingressClassByName: true })).toEqual([]);
  });
});
