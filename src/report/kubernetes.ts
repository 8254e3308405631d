import type { Reporter } from './types.js';

export interface KubeReporterOptions {
  kubeconfig?: string;
  /** NAMESPACE/NAME of the Service whose address is published in Ingress status. */
  publishService?: string;
  /** Addresses published in Ingress status instead of a Service's. */
  publishStatusAddress?: string[];
  /** Name of the coordination.k8s.io Lease for leader election. */
  electionId: string;
  /** Namespace of the Lease (the controller's own, POD_NAMESPACE). */
  electionNamespace: string;
  /** This replica's identity (POD_NAME or hostname). */
  identity: string;
  controllerClass: string;
}

/**
 * Writes Ingress status (leader only, after winning the Lease) and Events (Normal Sync, Warning Rejected).
 */
export function createKubeReporter(_options: KubeReporterOptions): Reporter {
  throw new Error('the Kubernetes reporter is not implemented yet');
}
