// Where the binaries built by scripts/e2e-setup.sh are: $KUBE_APISERVER, $KUBECTL and $ETCD when
// set, else the env file the script writes in its cache directory.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Binaries {
  kubeApiserver: string;
  kubectl: string;
  etcd: string;
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
  cached = { kubeApiserver: pick('KUBE_APISERVER'), kubectl: pick('KUBECTL'), etcd: pick('ETCD') };
  return cached;
}
