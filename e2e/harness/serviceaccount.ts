// Credentials of a ServiceAccount for the e2e cluster, so a process (the controller) runs with
// exactly the RBAC that manifests/ grants it.
import { join } from 'node:path';
import { apiRequest } from './api.js';
import type { Cluster } from './cluster.js';
import { writeKubeconfig } from './kubeconfig.js';

/** A bound token for namespace/name from the TokenRequest API (the ServiceAccount must exist). */
export async function serviceAccountToken(
  cluster: Cluster,
  namespace: string,
  name: string,
  expirationSeconds = 3600,
): Promise<string> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}/token`;
  const res = await apiRequest(cluster.admin, 'POST', path, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds },
  });
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`TokenRequest for ${namespace}/${name}: HTTP ${res.status}: ${res.body}`);
  }
  const token = (JSON.parse(res.body) as { status?: { token?: string } }).status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name}: no token in the answer`);
  return token;
}

/** Writes a kubeconfig (in the cluster's temp dir) that authenticates as the ServiceAccount; returns its path. */
export async function tokenKubeconfig(cluster: Cluster, namespace: string, name: string): Promise<string> {
  const token = await serviceAccountToken(cluster, namespace, name);
  return writeKubeconfig(join(cluster.dir, `sa-${namespace}-${name}.kubeconfig`), {
    server: cluster.server,
    caFile: cluster.caFile,
    userName: `system:serviceaccount:${namespace}:${name}`,
    user: { token },
    namespace,
  });
}
