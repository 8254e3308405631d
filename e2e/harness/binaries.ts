// Where the binaries built by scripts/e2e-setup.sh are: $KUBE_APISERVER, $KUBECTL, $ETCD and
// $KUBE_CONTROLLER_MANAGER when set, else the env file the script writes in its cache directory
// (kube-controller-manager: else beside kube-apiserver). The Gateway API conformance build (echo-basic,
// the suite, the CRDs) has its own directory and env file: conformanceBuild().
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Binaries {
  kubeApiserver: string;
  kubectl: string;
  etcd: string;
  /** Needed only by clusters started with controllers (startCluster({ controllers: true })). */
  kubeControllerManager: string | undefined;
}

export function cacheRoot(): string {
  return process.env.PORTICO_E2E_CACHE || join(homedir(), '.cache', 'portico-e2e');
}

function parseEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** The env file scripts/e2e-setup.sh wrote: KEY=PATH of each binary it built or found. */
export function readCacheEnv(): Record<string, string> {
  const root = cacheRoot();
  if (!existsSync(root)) return {};
  // The newest k8s-vX.Y.Z directory that has an env file.
  const dirs = readdirSync(root)
    .filter((d) => d.startsWith('k8s-') && existsSync(join(root, d, 'env')))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const last = dirs.at(-1);
  return last ? parseEnvFile(join(root, last, 'env')) : {};
}

let cached: Binaries | undefined;

export function findBinaries(): Binaries {
  if (cached) return cached;
  const fromFile = readCacheEnv();
  const pick = (key: string): string => {
    const v = process.env[key] || fromFile[key];
    if (!v || !existsSync(v)) {
      throw new Error(`${key} not found (${v ?? 'unset'}): run \`npm run e2e:setup\` first (scripts/e2e-setup.sh)`);
    }
    return v;
  };
  const kubeApiserver = pick('KUBE_APISERVER');
  const kcm = process.env.KUBE_CONTROLLER_MANAGER || fromFile.KUBE_CONTROLLER_MANAGER || join(dirname(kubeApiserver), 'kube-controller-manager');
  cached = { kubeApiserver, kubectl: pick('KUBECTL'), etcd: pick('ETCD'), kubeControllerManager: existsSync(kcm) ? kcm : undefined };
  return cached;
}

export interface ConformanceBuild {
  /** The suite's backend (sigs.k8s.io/gateway-api/conformance/echo-basic). */
  echoBasic: string;
  /** `go test -c sigs.k8s.io/gateway-api/conformance` */
  suite: string;
  /** Counts the GATEWAY-HTTP profile's core tests (e2e/conformance/cmd/core-tests). */
  coreTests: string;
  /** config/crd/standard of sigs.k8s.io/gateway-api at the pinned version. */
  crdDir: string;
  /** conformance/base/manifests.yaml of the pinned suite. */
  baseManifests: string;
  version: string;
}

/** The Gateway API conformance build of scripts/e2e-setup.sh ($CACHE_ROOT/gateway-api-vX.Y.Z/env), or undefined. */
export function conformanceBuild(): ConformanceBuild | undefined {
  const root = cacheRoot();
  if (!existsSync(root)) return undefined;
  const dirs = readdirSync(root)
    .filter((d) => d.startsWith('gateway-api-') && existsSync(join(root, d, 'env')))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const last = dirs.at(-1);
  if (!last) return undefined;
  const env = parseEnvFile(join(root, last, 'env'));
  const build = {
    echoBasic: env.ECHO_BASIC ?? '',
    suite: env.GATEWAY_CONFORMANCE_SUITE ?? '',
    coreTests: env.GATEWAY_CORE_TESTS ?? '',
    crdDir: env.GATEWAY_API_CRDS ?? '',
    baseManifests: env.GATEWAY_CONFORMANCE_BASE ?? '',
    version: env.GATEWAY_API_VERSION ?? '',
  };
  return Object.values(build).every((v) => v && existsSync(v) || v === build.version) ? build : undefined;
}
