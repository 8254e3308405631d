import { parseManifestText } from '../../src/sources/manifests.js';
import { snapshotFromObjects } from '../../src/store/snapshot.js';
import type { KubeObject } from '../../src/store/types.js';
import { DEFAULT_MODEL_OPTIONS, type ModelOptions, type NginxModel } from '../../src/model/types.js';
import { materializeStateFiles, renderSnapshot } from '../../src/pipeline.js';
import { compileRenderer, type ConfigRenderer } from '../../src/render/render.js';
import { loadTemplateSources } from '../../src/render/templates.js';
import { request, type Reply, type RequestOptions } from './http.js';
import { startNginx, nginxTest, tempStateDir, writeConf, type RunningNginx } from './nginx.js';
import { freePort, startEchoBackend, type Backend } from './processes.js';

let renderer: ConfigRenderer | undefined;
export async function testRenderer(): Promise<ConfigRenderer> {
  renderer ??= compileRenderer(await loadTemplateSources());
  return renderer;
}

/** Manifests as YAML text or objects. */
export type Manifests = string | KubeObject[];

function toObjects(m: Manifests): KubeObject[] {
  return typeof m === 'string' ? parseManifestText('test.yaml', m) : m;
}

/** A selector-less Service and one EndpointSlice pointing at local backends (the way examples/ does it). */
export function serviceFor(namespace: string, name: string, backends: Backend[], opts: { portName?: string; port?: number } = {}): KubeObject[] {
  const port = opts.port ?? 80;
  const portName = opts.portName;
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ name: portName, port, targetPort: 8080 }] } } as KubeObject,
    ...backends.map(
      (b, i) =>
        ({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: `${name}-${i}`, namespace, labels: { 'kubernetes.io/service-name': name } },
          addressType: 'IPv4',
          ports: [{ name: portName, port: b.port }],
          endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
        }) as KubeObject,
    ),
  ];
}

export const INGRESS_CLASS: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name: 'portico' },
  spec: { controller: 'portico.dev/ingress-controller' },
} as KubeObject;

export interface Scenario {
  httpPort: number;
  httpsPort: number;
  stateDir: string;
  model: NginxModel;
  conf: string;
  nginx: RunningNginx;
  /** Plain http to nginx. */
  get(host: string, path: string, extra?: Partial<RequestOptions>): Promise<Reply>;
  /** https with SNI = host. */
  getTls(host: string, path: string, extra?: Partial<RequestOptions>): Promise<Reply & { peerCertificate?: { subject?: Record<string, string>; subjectaltname?: string } }>;
  /** Renders new manifests and reloads nginx. */
  update(manifests: Manifests): Promise<NginxModel>;
  stop(): Promise<void>;
}

/**
 * Renders manifests through the real pipeline, checks the result with `nginx -t`, and starts a real
 * nginx on free ports. Every test that uses it sends real requests.
 */
export async function startScenario(manifests: Manifests, options: Partial<ModelOptions> = {}): Promise<Scenario> {
  const stateDir = await tempStateDir();
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const opts: ModelOptions = { ...DEFAULT_MODEL_OPTIONS, stateDir, httpPort, httpsPort, ...options };
  const render = await testRenderer();
  const build = async (m: Manifests) => {
    const out = renderSnapshot(snapshotFromObjects(toObjects(m)), opts, render);
    await materializeStateFiles(out.model);
    const confPath = await writeConf(stateDir, out.text);
    await nginxTest(stateDir, confPath);
    return { ...out, confPath };
  };
  const first = await build(manifests);
  const nginx = await startNginx(stateDir, first.confPath, httpPort);
  const scenario: Scenario = {
    httpPort,
    httpsPort,
    stateDir,
    model: first.model,
    conf: first.text,
    nginx,
    get: (host, path, extra = {}) => request({ port: httpPort, host, path, ...extra }),
    getTls: (host, path, extra = {}) => request({ port: httpsPort, host, path, tls: { servername: host }, ...extra }),
    update: async (m) => {
      const next = await build(m);
      scenario.model = next.model;
      scenario.conf = next.text;
      await nginx.reload();
      return next.model;
    },
    stop: () => nginx.stop(),
  };
  return scenario;
}

/** Renders without starting nginx, but always checks the output with `nginx -t`. */
export async function renderChecked(manifests: Manifests, options: Partial<ModelOptions> = {}): Promise<{ model: NginxModel; conf: string }> {
  const stateDir = await tempStateDir();
  const opts: ModelOptions = { ...DEFAULT_MODEL_OPTIONS, stateDir, httpPort: await freePort(), httpsPort: await freePort(), ...options };
  const out = renderSnapshot(snapshotFromObjects(toObjects(manifests)), opts, await testRenderer());
  await materializeStateFiles(out.model);
  await nginxTest(stateDir, await writeConf(stateDir, out.text));
  return { model: out.model, conf: out.text };
}

export interface Backends {
  by: Record<string, Backend>;
  stopAll(): Promise<void>;
}

/** Starts one echo backend process per name; `by[name]` finds it. */
export async function startBackends(...names: string[]): Promise<Backends> {
  const list = await Promise.all(names.map((n) => startEchoBackend(n)));
  return {
    by: Object.fromEntries(list.map((b) => [b.name, b])),
    stopAll: async () => void (await Promise.all(list.map((b) => b.stop()))),
  };
}
