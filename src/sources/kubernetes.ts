import type { Source } from './types.js';

/** Options of the Kubernetes API source (informers). */
export interface KubernetesSourceOptions {
  /** Path to a kubeconfig; undefined: in-cluster configuration. */
  kubeconfig?: string;
  /** Narrows the namespaced kinds to one namespace; undefined: all namespaces. */
  watchNamespace?: string;
}

/** Informers for Ingress, IngressClass, Service, EndpointSlice, Secret and ConfigMap. */
export function createKubernetesSource(_options: KubernetesSourceOptions): Source {
  throw new Error('the Kubernetes source is not implemented yet');
}
