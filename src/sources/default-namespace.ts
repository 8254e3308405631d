import type { KubeObject } from '../store/types.js';

/** The kinds Portico reads that live in a namespace (IngressClass is cluster-scoped). */
const NAMESPACED_KINDS = new Set(['Ingress', 'Service', 'EndpointSlice', 'Secret', 'ConfigMap']);

/** What `kubectl apply` uses for a manifest without metadata.namespace when no context names another. */
export const DEFAULT_MANIFEST_NAMESPACE = 'default';

/**
 * Most published manifests (docs, deploy examples) carry no metadata.namespace: `kubectl apply` puts them
 * in the current namespace. Read from files, such an object belongs to `namespace`, as it would in a
 * cluster. Objects are copied, never changed in place (a parsed file is kept as its last good version).
 */
export function withDefaultNamespace(objects: KubeObject[], namespace: string): KubeObject[] {
  return objects.map((obj) => {
    if (!NAMESPACED_KINDS.has(obj.kind ?? '') || obj.metadata?.namespace) return obj;
    return { ...obj, metadata: { ...obj.metadata, namespace } };
  });
}
