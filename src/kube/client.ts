// What every caller of the Kubernetes API shares: the sources (informers) and the reporter (status,
// Events, the Lease) load the same kubeconfig, read an error's HTTP status the same way, and bound a
// call that hangs.
import { KubeConfig } from '@kubernetes/client-node';

/** A kubeconfig file, or the in-cluster configuration (service account token) when none is given. */
export function loadKubeConfig(kubeconfig: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromCluster();
  return kc;
}

/** The HTTP status of a failed API call (client-node 1.x puts it in `code`, older errors in `statusCode`). */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** One line for a log: the status and the first line of the message (client-node puts the whole body in it). */
export function describeError(err: unknown): string {
  if (!err) return 'watch ended';
  const msg = ((err as { message?: string }).message ?? String(err)).split('\n')[0]!.slice(0, 300);
  const status = statusOf(err);
  return status ? `HTTP ${status}: ${msg}` : msg;
}

/** How long the reporter waits for one API call before it counts the call as failed. */
export const API_TIMEOUT_MS = 30_000;

/** An API call that hangs must not stall its caller for good: it fails after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
