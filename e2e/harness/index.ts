// The e2e harness in one import: `import { startCluster, Kubectl, ... } from './harness/index.js'`.
export { apiRequest, type AdminCredentials, type ApiResponse } from './api.js';
export { cacheRoot, findBinaries, type Binaries } from './binaries.js';
export { SERVICE_ACCOUNT_ISSUER, SERVICE_CLUSTER_IP_RANGE, startCluster, type Cluster, type ClusterOptions } from './cluster.js';
export { Kubectl, type KubectlResult } from './kubectl.js';
export { writeKubeconfig, type KubeconfigUser } from './kubeconfig.js';
export { createTestNetwork, type TestNetwork, type TestNetworkOptions } from './netns.js';
export { findHelm, Helm, type HelmResult } from './helm.js';
export { freePort } from './ports.js';
export { startProcess, waitFor, type ManagedProcess, type StartOptions } from './process.js';
export { serviceAccountToken, tokenKubeconfig } from './serviceaccount.js';
