// Kubeconfig files for the e2e cluster, written with paths (not inline data) to the certificates.
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

export type KubeconfigUser = { token: string } | { clientCertificate: string; clientKey: string };

export async function writeKubeconfig(
  path: string,
  opts: { server: string; caFile: string; user: KubeconfigUser; userName: string; namespace?: string },
): Promise<string> {
  const user =
    'token' in opts.user
      ? { token: opts.user.token }
      : { 'client-certificate': opts.user.clientCertificate, 'client-key': opts.user.clientKey };
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'portico-e2e', cluster: { server: opts.server, 'certificate-authority': opts.caFile } }],
    users: [{ name: opts.userName, user }],
    contexts: [
      {
        name: 'portico-e2e',
        context: { cluster: 'portico-e2e', user: opts.userName, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
      },
    ],
    'current-context': 'portico-e2e',
    preferences: {},
  };
  await writeFile(path, stringify(doc), { mode: 0o600 });
  return path;
}
