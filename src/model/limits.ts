/**
 * Hard limits on what one Ingress may ask for. Kubernetes allows 256 KiB of annotations and any number of
 * paths; a directory of manifests allows anything. Past these limits an Ingress is rejected with a reason
 * rather than slowing every sync down for everyone.
 */
export const LIMITS = {
  /** Characters in one annotation value under the Portico prefix. */
  annotationValueLength: 64 * 1024,
  /** Paths across all rules of one Ingress. */
  pathsPerIngress: 10_000,
  /** Rules (hosts) in one Ingress. */
  rulesPerIngress: 1_000,
} as const;
