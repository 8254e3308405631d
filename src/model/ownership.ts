import type { Snapshot } from '../store/snapshot.js';
import type { Ingress } from '../store/types.js';
import type { ModelOptions } from './types.js';

export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

/**
 * Whether this controller routes an Ingress: its IngressClass names our controller, its legacy class
 * annotation names our class, or it has no class and we take classless Ingresses (flag, or our
 * IngressClass is the cluster default).
 */
export function isOwnedIngress(ingress: Ingress, snapshot: Snapshot, options: ModelOptions): boolean {
  const className = ingress.spec?.ingressClassName;
  const legacyClass = ingress.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (legacyClass !== undefined && legacyClass === options.ingressClass) return true;
  if (className) {
    return snapshot.ingressClasses.get(className)?.spec?.controller === options.controllerClass;
  }
  if (legacyClass !== undefined) return false;
  if (options.watchIngressWithoutClass) return true;
  for (const ic of snapshot.ingressClasses.values()) {
    if (ic.spec?.controller === options.controllerClass && ic.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true') {
      return true;
    }
  }
  return false;
}
