import type { Snapshot } from '../store/snapshot.js';
import type { Ingress } from '../store/types.js';
import type { ModelOptions, ModelWarning } from './types.js';

const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

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
    if (options.ingressClassByName && className === options.ingressClass) return true;
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

/**
 * An Ingress whose spec.ingressClassName names a class with no IngressClass object is served by no
 * controller that matches on spec.controller: a migrating operator whose export lacks the `nginx`
 * IngressClass would otherwise see their Ingresses vanish without a word. A warning names each (not an
 * Event: the Ingress may belong to another controller that owns its class by name).
 */
export function missingClassWarnings(ingresses: Iterable<Ingress>, snapshot: Snapshot, options: ModelOptions): ModelWarning[] {
  const warnings: ModelWarning[] = [];
  for (const ingress of ingresses) {
    const className = ingress.spec?.ingressClassName;
    if (!className || snapshot.ingressClasses.has(className)) continue;
    if (options.ingressClassByName && className === options.ingressClass) continue;
    const ref = `${ingress.metadata?.namespace ?? ''}/${ingress.metadata?.name ?? ''}`;
    warnings.push({
      object: `Ingress ${ref}`,
      message: `spec.ingressClassName ${JSON.stringify(className)} names no IngressClass object; not served (add the IngressClass, or run with --ingress-class ${className} --ingress-class-by-name)`,
    });
  }
  return warnings;
}
