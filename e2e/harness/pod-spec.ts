// What a kubelet derives from a Pod spec before it starts anything, as pure functions over the Pod and
// injected lookups (ConfigMaps, Secrets, tokens): the environment of a container (values, downward API
// fieldRefs, configMap/secret refs, envFrom, $(VAR) expansion), its command line, and the files of each
// volume (secret, configMap, downwardAPI, projected, emptyDir).

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    resourceFieldRef?: { resource: string };
  };
}

export interface Probe {
  httpGet?: { path?: string; port: number | string; scheme?: string; host?: string; httpHeaders?: Array<{ name: string; value: string }> };
  tcpSocket?: { port: number | string; host?: string };
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: Array<{ prefix?: string; configMapRef?: { name: string; optional?: boolean }; secretRef?: { name: string; optional?: boolean } }>;
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: { command: string[] }; httpGet?: Probe['httpGet'] } };
}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface Volume {
  name: string;
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  downwardAPI?: { items: Array<{ path: string; fieldRef?: { fieldPath: string }; mode?: number }>; defaultMode?: number };
  projected?: {
    defaultMode?: number;
    sources: Array<{
      secret?: { name: string; items?: KeyToPath[]; optional?: boolean };
      configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
      downwardAPI?: { items: Array<{ path: string; fieldRef?: { fieldPath: string }; mode?: number }> };
      serviceAccountToken?: { path: string; expirationSeconds?: number; audience?: string };
    }>;
  };
  emptyDir?: Record<string, unknown>;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    resourceVersion?: string;
    ownerReferences?: unknown[];
  };
  spec: {
    nodeName?: string;
    schedulerName?: string;
    serviceAccountName?: string;
    restartPolicy?: 'Always' | 'OnFailure' | 'Never';
    terminationGracePeriodSeconds?: number;
    containers: Container[];
    initContainers?: Container[];
    volumes?: Volume[];
    hostNetwork?: boolean;
  };
  status?: Record<string, unknown> & { phase?: string; podIP?: string; hostIP?: string };
}

/** Where the kubelet reads the objects a Pod refers to; undefined when the object does not exist. */
export interface PodLookups {
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** Secret data, already base64-decoded. */
  secret(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
  serviceAccountToken(pod: Pod, expirationSeconds: number, audience?: string): Promise<string>;
}

/** A reason the kubelet cannot start a container yet (kubelet: CreateContainerConfigError / FailedMount). */
export class PodConfigError extends Error {
  constructor(
    readonly reason: 'CreateContainerConfigError' | 'FailedMount',
    message: string,
  ) {
    super(message);
  }
}

/** The value of a downward-API fieldPath for this Pod (with its IPs and node known). */
export function fieldValue(pod: Pod, fieldPath: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2]!] ?? '';
  const status = pod.status ?? {};
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return String(status.podIP ?? '');
    case 'status.hostIP':
    case 'status.hostIPs':
      return String(status.hostIP ?? '');
    default:
      throw new PodConfigError('CreateContainerConfigError', `unsupported fieldPath ${JSON.stringify(fieldPath)}`);
  }
}

function formatMap(m: Record<string, string> | undefined): string {
  return Object.entries(m ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n');
}

/** Kubernetes' $(VAR) expansion: defined names are replaced, $$ escapes, unknown references stay as written. */
export function expandVars(input: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close > 0) {
        const name = input.slice(i + 2, close);
        if (vars.has(name)) {
          out += vars.get(name);
          i = close;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

/** The container's environment in Kubernetes order: envFrom sources, then env (later wins). */
export async function containerEnv(pod: Pod, container: Container, lookups: PodLookups): Promise<Map<string, string>> {
  const ns = pod.metadata.namespace;
  const vars = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    if (source.configMapRef) {
      const data = await lookups.configMap(ns, source.configMapRef.name);
      if (!data && !source.configMapRef.optional) throw missing('configmap', ns, source.configMapRef.name);
      for (const [k, v] of Object.entries(data ?? {})) vars.set(prefix + k, v);
    }
    if (source.secretRef) {
      const data = await lookups.secret(ns, source.secretRef.name);
      if (!data && !source.secretRef.optional) throw missing('secret', ns, source.secretRef.name);
      for (const [k, v] of Object.entries(data ?? {})) vars.set(prefix + k, v.toString('utf8'));
    }
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom?.fieldRef) {
      vars.set(e.name, fieldValue(pod, e.valueFrom.fieldRef.fieldPath));
    } else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const value = (await lookups.configMap(ns, ref.name))?.[ref.key];
      if (value === undefined && !ref.optional) throw missingKey('configmap', ns, ref.name, ref.key);
      if (value !== undefined) vars.set(e.name, value);
    } else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const value = (await lookups.secret(ns, ref.name))?.[ref.key];
      if (value === undefined && !ref.optional) throw missingKey('secret', ns, ref.name, ref.key);
      if (value !== undefined) vars.set(e.name, value.toString('utf8'));
    } else if (e.valueFrom?.resourceFieldRef) {
      throw new PodConfigError('CreateContainerConfigError', `env ${e.name}: resourceFieldRef is not supported by the e2e kubelet`);
    } else {
      vars.set(e.name, expandVars(e.value ?? '', vars));
    }
  }
  return vars;
}

function missing(kind: string, ns: string, name: string): PodConfigError {
  return new PodConfigError('CreateContainerConfigError', `${kind} "${name}" not found in namespace ${ns}`);
}

function missingKey(kind: string, ns: string, name: string, key: string): PodConfigError {
  return new PodConfigError('CreateContainerConfigError', `couldn't find key ${key} in ${kind} ${ns}/${name}`);
}

/** The image's entrypoint and default arguments. */
export interface ImageDefaults {
  entrypoint: string[];
  cmd: string[];
}

/** Kubernetes' rule: command replaces the entrypoint (and drops cmd), args replace cmd; both expand $(VAR). */
export function commandLine(container: Container, image: ImageDefaults, env: ReadonlyMap<string, string>): string[] {
  const expand = (xs: string[]): string[] => xs.map((x) => expandVars(x, env));
  if (container.command?.length) return [...expand(container.command), ...expand(container.args ?? [])];
  return [...image.entrypoint, ...(container.args ? expand(container.args) : image.cmd)];
}

export interface VolumeFile {
  path: string;
  content: Buffer;
  mode: number;
}

/** The files of a volume, or 'emptyDir' for a directory that starts empty. */
export async function volumeFiles(pod: Pod, volume: Volume, lookups: PodLookups): Promise<VolumeFile[] | 'emptyDir'> {
  const ns = pod.metadata.namespace;
  const fromData = (data: Record<string, Buffer>, items: KeyToPath[] | undefined, mode: number, what: string): VolumeFile[] => {
    if (!items) return Object.entries(data).map(([k, v]) => ({ path: k, content: v, mode }));
    return items.map((it) => {
      const v = data[it.key];
      if (v === undefined) throw new PodConfigError('FailedMount', `volume ${volume.name}: ${what} has no key ${it.key}`);
      return { path: it.path, content: v, mode: it.mode ?? mode };
    });
  };
  const configMapData = async (name: string, optional: boolean | undefined): Promise<Record<string, Buffer> | undefined> => {
    const data = await lookups.configMap(ns, name);
    if (!data) {
      if (optional) return {};
      throw new PodConfigError('FailedMount', `MountVolume.SetUp failed for volume "${volume.name}": configmap "${name}" not found`);
    }
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)]));
  };
  const secretData = async (name: string, optional: boolean | undefined): Promise<Record<string, Buffer> | undefined> => {
    const data = await lookups.secret(ns, name);
    if (!data) {
      if (optional) return {};
      throw new PodConfigError('FailedMount', `MountVolume.SetUp failed for volume "${volume.name}": secret "${name}" not found`);
    }
    return data;
  };
  const downward = (items: Array<{ path: string; fieldRef?: { fieldPath: string }; mode?: number }>, mode: number): VolumeFile[] =>
    items.map((it) => ({ path: it.path, content: Buffer.from(it.fieldRef ? fieldValue(pod, it.fieldRef.fieldPath) : ''), mode: it.mode ?? mode }));

  if (volume.emptyDir) return 'emptyDir';
  if (volume.secret) {
    const mode = volume.secret.defaultMode ?? 0o644;
    return fromData((await secretData(volume.secret.secretName, volume.secret.optional))!, volume.secret.items, mode, `secret ${volume.secret.secretName}`);
  }
  if (volume.configMap) {
    const mode = volume.configMap.defaultMode ?? 0o644;
    return fromData((await configMapData(volume.configMap.name, volume.configMap.optional))!, volume.configMap.items, mode, `configmap ${volume.configMap.name}`);
  }
  if (volume.downwardAPI) return downward(volume.downwardAPI.items, volume.downwardAPI.defaultMode ?? 0o644);
  if (volume.projected) {
    const mode = volume.projected.defaultMode ?? 0o644;
    const files: VolumeFile[] = [];
    for (const s of volume.projected.sources) {
      if (s.secret) files.push(...fromData((await secretData(s.secret.name, s.secret.optional))!, s.secret.items, mode, `secret ${s.secret.name}`));
      if (s.configMap) files.push(...fromData((await configMapData(s.configMap.name, s.configMap.optional))!, s.configMap.items, mode, `configmap ${s.configMap.name}`));
      if (s.downwardAPI) files.push(...downward(s.downwardAPI.items, mode));
      if (s.serviceAccountToken) {
        const token = await lookups.serviceAccountToken(pod, s.serviceAccountToken.expirationSeconds ?? 3607, s.serviceAccountToken.audience);
        files.push({ path: s.serviceAccountToken.path, content: Buffer.from(token), mode: 0o600 });
      }
    }
    return files;
  }
  throw new PodConfigError('FailedMount', `volume ${volume.name}: only secret, configMap, downwardAPI, projected and emptyDir volumes run here`);
}

/** A container port given by name or number, as a number. */
export function resolvePort(container: Container, port: number | string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = container.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`container ${container.name} has no port named ${port}`);
  return p.containerPort;
}
