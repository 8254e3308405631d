// The Helm chart (charts/portico, issue 18 part 2) against the real API server: helm lint, the objects
// of each documented shape equal to what manifests/ (Kustomize) builds, each shape applied server-side,
// a real `helm install` and upgrades through the shapes, an ingress-nginx values file taken as it is
// (what carries over, what the notes list as ignored), and the values the chart refuses.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';
import { startCluster, type Cluster } from './harness/cluster.js';
import { Helm } from './harness/helm.js';
import { Kubectl } from './harness/kubectl.js';

const CHART = resolve(process.cwd(), 'charts', 'portico');
const MANIFESTS = resolve(process.cwd(), 'manifests');
const CLI = resolve(process.cwd(), 'dist', 'cli', 'main.js');
const NS = 'portico';
const SA = `system:serviceaccount:${NS}:portico`;

/** Each documented shape: the chart's values file and the Kustomize directory it must equal. */
const SHAPES = [
  { name: 'clusterip', kustomize: 'base' },
  { name: 'loadbalancer', kustomize: 'overlays/loadbalancer' },
  { name: 'nodeport', kustomize: 'overlays/nodeport' },
  { name: 'daemonset-hostnetwork', kustomize: 'overlays/daemonset-hostnetwork' },
] as const;
const valuesFile = (shape: string) => join(CHART, 'ci', `${shape}-values.yaml`);

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    hostNetwork?: boolean;
    securityContext: { sysctls?: { name: string; value: string }[] };
    containers: { args: string[]; ports: { name: string; containerPort: number; protocol: string }[] }[];
  };
}

function parseObjects(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** Labels Helm adds for its own bookkeeping; manifests/ has no release, so they are all it lacks. */
const RELEASE_LABELS = ['app.kubernetes.io/instance', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/version', 'helm.sh/chart'];
function withoutReleaseLabels(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!labels) return labels;
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !RELEASE_LABELS.includes(k)));
}

/** The chart's objects as Kustomize's would be: release labels dropped (metadata, selectors, pod template). */
function comparable(o: K8sObject): K8sObject {
  const c = structuredClone(o);
  c.metadata.labels = withoutReleaseLabels(c.metadata.labels);
  const spec = c.spec as { selector?: Record<string, unknown>; template?: PodTemplate } | undefined;
  if (spec?.selector && 'matchLabels' in spec.selector) {
    spec.selector.matchLabels = withoutReleaseLabels(spec.selector.matchLabels as Record<string, string>);
  } else if (spec?.selector && c.kind === 'Service') {
    spec.selector = withoutReleaseLabels(spec.selector as Record<string, string>);
  }
  if (spec?.template) spec.template.metadata.labels = withoutReleaseLabels(spec.template.metadata.labels)!;
  return c;
}

const byKey = (objects: K8sObject[]) =>
  Object.fromEntries(objects.map((o) => [`${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`, o]));
const find = (objects: K8sObject[], kind: string, name?: string): K8sObject => {
  const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind} ${name ?? ''} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
};
const podTemplate = (o: K8sObject) => (o.spec as { template: PodTemplate }).template;

describe('Helm chart charts/portico', () => {
  let cluster: Cluster;
  let kubectl: Kubectl;
  let helm: Helm;
  let work: string;

  const template = async (args: string[] = []) =>
    parseObjects(await helm.run(['template', 'portico', CHART, '--namespace', NS, ...args]));
  /** Server-side apply with the server's dry run: admission, schema and field validation, nothing stored. */
  const serverDryRun = (objects: K8sObject[]) =>
    kubectl.run(['apply', '--server-side', '--dry-run=server', '--field-manager=helm-e2e', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    });
  const valuesOf = async (name: string, yaml: string) => {
    const path = join(work, name);
    await writeFile(path, yaml);
    return path;
  };

  beforeAll(async () => {
    cluster = await startCluster();
    kubectl = new Kubectl(cluster.adminKubeconfigPath);
    helm = await Helm.create(cluster.adminKubeconfigPath);
    work = await mkdtemp(join(tmpdir(), 'portico-helm-e2e-'));
  });

  afterAll(async () => {
    await helm?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
    await cluster?.stop();
  });

  it('passes helm lint --strict, with the defaults and with every documented shape', async () => {
    for (const args of [[], ...SHAPES.map((s) => ['--values', valuesFile(s.name)])]) {
      const r = await helm.exec(['lint', '--strict', CHART, ...args]);
      expect([args.join(' '), r.exitCode, r.stdout]).toEqual([args.join(' '), 0, expect.stringContaining('1 chart(s) linted, 0 chart(s) failed')]);
    }
  });

  it.each(SHAPES)('builds for $name exactly the objects manifests/$kustomize builds', async ({ name, kustomize }) => {
    const fromChart = (await template(['--values', valuesFile(name)])).map(comparable);
    // The namespace is Helm's to make (helm install --create-namespace), not the chart's.
    const fromKustomize = parseObjects(await kubectl.kustomize(join(MANIFESTS, kustomize))).filter((o) => o.kind !== 'Namespace');
    expect(byKey(fromChart)).toEqual(byKey(fromKustomize));
  });

  it('keeps its list of portico run flags equal to portico run --help', async () => {
    const help = (await execa('node', [CLI, 'run', '--help'])).stdout;
    const flags = [...new Set(help.match(/--[a-z0-9-]+/g))].map((f) => f.slice(2)).filter((f) => f !== 'help').sort();
    const helpers = (await execa('grep', ['-A1', 'define "portico.runFlags"', join(CHART, 'templates', '_helpers.tpl')])).stdout;
    expect(helpers.split('\n')[1].split(' ').sort()).toEqual(flags);
  });

  it('keeps its list of known values equal to the keys of values.yaml', async () => {
    const helpers = await readFile(join(CHART, 'templates', '_helpers.tpl'), 'utf8');
    const listed = /define "portico.knownValues" -}}\n(.*)\n/.exec(helpers)![1].split(' ');
    const free = ['controller.config', 'controller.resources', 'controller.podSecurityContext', 'controller.containerSecurityContext',
      'controller.livenessProbe', 'controller.readinessProbe'];
    const paths: string[] = [];
    const walk = (values: Record<string, unknown>, prefix: string) => {
      for (const [key, value] of Object.entries(values)) {
        paths.push(prefix + key);
        const nested = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0;
        if (nested && !free.includes(prefix + key)) walk(value as Record<string, unknown>, `${prefix}${key}.`);
      }
    };
    walk(parseDocument(await readFile(join(CHART, 'values.yaml'), 'utf8')).toJS() as Record<string, unknown>, '');
    expect(listed).toEqual(paths);
  });

  it('applies every shape server-side to the real API server', async () => {
    await kubectl.run(['create', 'namespace', NS]);
    for (const { name } of SHAPES) {
      const objects = await template(['--values', valuesFile(name)]);
      const out = await serverDryRun(objects);
      const kinds = objects.map((o) => `${o.kind.toLowerCase()}`);
      expect([name, out.trim().split('\n').length]).toEqual([name, kinds.length]);
      expect(out).not.toMatch(/^(?!.*serverside-applied \(server dry run\)).+$/m);
    }
  });

  it('installs with helm install and moves through the shapes with helm upgrade', async () => {
    const install = await helm.run(['install', 'portico', CHART, '--namespace', NS, '--values', valuesFile('loadbalancer')]);
    expect(install).toContain('STATUS: deployed');
    expect(install).not.toContain('WARNING');
    const lb = await kubectl.getJson<{ spec: { type: string; externalTrafficPolicy: string; ports: { name: string; port: number; targetPort: string }[] } }>(
      'service', 'portico', NS);
    expect(lb.spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    expect(lb.spec.ports.map((p) => [p.name, p.port, p.targetPort])).toEqual([['http', 80, 'http'], ['https', 443, 'https']]);
    const ic = await kubectl.getJson<{ spec: { controller: string } }>('ingressclass', 'portico');
    expect(ic.spec.controller).toBe('portico.dev/ingress-controller');

    // The ServiceAccount has what the controller uses and nothing more (the same rules as manifests/).
    const can = (verb: string, resource: string, namespace: string, subresource?: string) =>
      kubectl.canI(verb, resource, { as: SA, namespace, subresource });
    expect(await can('watch', 'endpointslices.discovery.k8s.io', 'default')).toBe(true);
    expect(await can('patch', 'ingresses.networking.k8s.io', 'default', 'status')).toBe(true);
    expect(await can('update', 'leases.coordination.k8s.io/portico-leader', NS)).toBe(true);
    expect(await can('create', 'secrets', 'default')).toBe(false);
    expect(await can('update', 'ingresses.networking.k8s.io', 'default')).toBe(false);
    expect(await can('update', 'leases.coordination.k8s.io/someone-else', NS)).toBe(false);

    await helm.run(['upgrade', 'portico', CHART, '--namespace', NS, '--values', valuesFile('nodeport')]);
    const np = await kubectl.getJson<{ spec: { type: string; ports: { nodePort: number }[] } }>('service', 'portico', NS);
    expect([np.spec.type, np.spec.ports.map((p) => p.nodePort)]).toEqual(['NodePort', [30080, 30443]]);

    await helm.run(['upgrade', 'portico', CHART, '--namespace', NS, '--values', valuesFile('daemonset-hostnetwork')]);
    const ds = await kubectl.getJson<{ spec: { template: PodTemplate } }>('daemonset', 'portico', NS);
    expect(ds.spec.template.spec.hostNetwork).toBe(true);
    expect(ds.spec.template.spec.containers[0].ports.map((p) => [p.name, p.containerPort])).toEqual([['http', 8080], ['https', 8443], ['metrics', 10254]]);
    expect((await kubectl.exec(['get', 'deployment', 'portico', '-n', NS])).exitCode).not.toBe(0);
    const cm = await kubectl.getJson<{ data: Record<string, string> }>('configmap', 'portico', NS);
    expect(cm.data['use-port-in-redirects']).toBe('true');

    await helm.run(['uninstall', 'portico', '--namespace', NS, '--wait']);
    expect((await kubectl.exec(['get', 'ingressclass', 'portico'])).exitCode).not.toBe(0);
  });

  it('takes an ingress-nginx values file: what carries over is used, the rest is listed as ignored', async () => {
    const ingressNginxValues = await valuesOf(
      'ingress-nginx-values.yaml',
      `controller:
  replicaCount: 3
  ingressClass: nginx
  ingressClassResource:
    name: nginx
    controllerValue: k8s.io/ingress-nginx
    default: true
  config:
    use-forwarded-headers: true
    proxy-body-size: 16m
  extraArgs:
    default-ssl-certificate: ingress-nginx/wildcard
  resources:
    requests: { cpu: 250m, memory: 256Mi }
  service:
    type: LoadBalancer
    externalTrafficPolicy: Local
    annotations:
      service.beta.kubernetes.io/aws-load-balancer-type: nlb
  metrics:
    enabled: true
    serviceMonitor:
      enabled: true
      additionalLabels: { release: prometheus }
  admissionWebhooks:
    enabled: true
  autoscaling:
    enabled: true
    maxReplicas: 11
  image:
    chroot: true
defaultBackend:
  enabled: true
tcp:
  "5432": "databases/postgres:5432"
udp:
  "53": "kube-system/kube-dns:53"
`,
    );
    const objects = await template(['--values', ingressNginxValues]);
    const workload = find(objects, 'Deployment');
    expect(workload.spec!.replicas).toBe(3);
    const container = podTemplate(workload).spec.containers[0];
    expect(container.args).toEqual(expect.arrayContaining([
      '--ingress-class=nginx',
      '--controller-class=k8s.io/ingress-nginx',
      '--default-ssl-certificate=ingress-nginx/wildcard',
    ]));
    // The services ConfigMaps' flags are passed once portico run has them (TCP/UDP services, issue 14).
    const help = (await execa('node', [CLI, 'run', '--help'])).stdout;
    for (const protocol of ['tcp', 'udp']) {
      const flag = `--${protocol}-services-configmap`;
      expect([flag, container.args.includes(`${flag}=portico/portico-${protocol}`)]).toEqual([flag, help.includes(flag)]);
    }
    expect(container.ports).toEqual(expect.arrayContaining([
      { name: 'tcp-5432', containerPort: 5432, protocol: 'TCP' },
      { name: 'udp-53', containerPort: 53, protocol: 'UDP' },
    ]));
    expect(find(objects, 'IngressClass').metadata).toMatchObject({ name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } });
    expect(find(objects, 'ConfigMap', 'portico').data).toEqual({
      'ssl-redirect': 'true', 'server-tokens': 'false', 'use-forwarded-headers': 'true', 'proxy-body-size': '16m' });
    expect(find(objects, 'ConfigMap', 'portico-tcp').data).toEqual({ '5432': 'databases/postgres:5432' });
    const service = find(objects, 'Service', 'portico');
    expect(service.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' });
    expect((service.spec!.ports as { name: string; port: number; protocol: string }[]).map((p) => `${p.name} ${p.port}/${p.protocol}`))
      .toEqual(['http 80/TCP', 'https 443/TCP', 'tcp-5432 5432/TCP', 'udp-53 53/UDP']);
    expect(find(objects, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 1 });

    // The metrics Service selects the controller pods on the port that serves /metrics, and the
    // ServiceMonitor selects that Service only.
    const metrics = find(objects, 'Service', 'portico-metrics');
    expect(metrics.spec).toMatchObject({ ports: [{ name: 'metrics', port: 10254, targetPort: 'metrics' }], selector: podTemplate(workload).metadata.labels });
    const monitor = find(objects, 'ServiceMonitor');
    expect(monitor.metadata.labels).toMatchObject({ release: 'prometheus' });
    const monitorSelector = (monitor.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    expect(metrics.metadata.labels).toMatchObject(monitorSelector);
    expect(service.metadata.labels).not.toMatchObject(monitorSelector);

    // Server-side, with a ServiceMonitor CRD standing in for Prometheus Operator's.
    await kubectl.applyObjects([serviceMonitorCrd()]);
    await kubectl.run(['wait', '--for=condition=Established', 'crd/servicemonitors.monitoring.coreos.com', '--timeout=60s']);
    // A release of its own: its cluster-scoped objects (ClusterRole, IngressClass) must not meet another's.
    await kubectl.run(['create', 'namespace', 'ingress-nginx-values']);
    const inNs = parseObjects(await helm.run(['template', 'migrated', CHART, '--namespace', 'ingress-nginx-values', '--values', ingressNginxValues]));
    await kubectl.run(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: inNs }),
    });

    // The notes name every value the chart does not have, and say the webhook is not there.
    const install = await helm.run(['install', 'portico', CHART, '--namespace', NS, '--values', ingressNginxValues, '--dry-run=client']);
    const ignored = install.slice(install.indexOf('WARNING: these values'));
    for (const key of ['controller.autoscaling', 'controller.image.chroot', 'defaultBackend']) expect(ignored).toContain(`\n- ${key}\n`);
    for (const key of ['controller.config', 'controller.resources', 'controller.service', 'controller.metrics', 'tcp']) {
      expect(ignored).not.toContain(`- ${key}`);
    }
    expect(install).toContain('WARNING: controller.admissionWebhooks.enabled is ignored: Portico has no admission webhook');
    if (!help.includes('--tcp-services-configmap')) expect(install).toContain('WARNING: tcp is not served yet');
  });

  it('grants namespaced rights in the watched namespace only when controller.watchNamespace is set', async () => {
    await kubectl.run(['create', 'namespace', 'shop']);
    await kubectl.run(['create', 'namespace', 'other']);
    await helm.run(['install', 'portico', CHART, '--namespace', NS, '--set', 'controller.watchNamespace=shop']);
    const dep = await kubectl.getJson<{ spec: { template: PodTemplate } }>('deployment', 'portico', NS);
    expect(dep.spec.template.spec.containers[0].args).toContain('--watch-namespace=shop');
    const can = (verb: string, resource: string, namespace?: string, subresource?: string) =>
      kubectl.canI(verb, resource, { as: SA, namespace, subresource });
    expect(await can('list', 'secrets', 'shop')).toBe(true);
    expect(await can('patch', 'ingresses.networking.k8s.io', 'shop', 'status')).toBe(true);
    expect(await can('create', 'events', 'shop')).toBe(true);
    expect(await can('list', 'ingressclasses.networking.k8s.io')).toBe(true);
    expect(await can('list', 'secrets', 'other')).toBe(false);
    expect(await can('list', 'ingresses.networking.k8s.io', 'other')).toBe(false);
    expect(await can('get', 'services/portico', NS)).toBe(true);
    expect(await can('list', 'services', NS)).toBe(false);
    // ingress-nginx's spelling watches the release's namespace.
    const scoped = await template(['--set', 'controller.scope.enabled=true']);
    expect(podTemplate(find(scoped, 'Deployment')).spec.containers[0].args).toContain('--watch-namespace=portico');
    await helm.run(['uninstall', 'portico', '--namespace', NS, '--wait']);
  });

  it('runs as a DaemonSet on node ports 80/443 through hostPort, as ingress-nginx on bare metal', async () => {
    const objects = await template(['--set', 'controller.kind=DaemonSet', '--set', 'controller.hostPort.enabled=true']);
    const pod = podTemplate(find(objects, 'DaemonSet')).spec;
    expect(pod.hostNetwork).toBeUndefined();
    expect(pod.securityContext.sysctls).toEqual([{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]);
    expect(pod.containers[0].ports.slice(0, 2)).toEqual([
      { name: 'http', containerPort: 80, hostPort: 80, protocol: 'TCP' },
      { name: 'https', containerPort: 443, hostPort: 443, protocol: 'TCP' },
    ]);
    expect(pod.containers[0].args).toEqual(expect.arrayContaining(['--http-port=80', '--https-port=443']));
    await serverDryRun(objects);
  });

  it('refuses values the controller could not run with, naming the value and the reason', async () => {
    const refused = async (args: string[]) => {
      const r = await helm.exec(['template', 'portico', CHART, '--namespace', NS, ...args]);
      expect(r.exitCode).not.toBe(0);
      return r.stderr;
    };
    expect(await refused(['--set', 'controller.extraArgs.enable-ssl-passthrough=true']))
      .toContain('controller.extraArgs.enable-ssl-passthrough: portico run has no flag --enable-ssl-passthrough');
    expect(await refused(['--set', 'controller.extraArgs.http-port=8080']))
      .toContain('controller.extraArgs.http-port: the chart sets --http-port from controller.containerPort.http');
    expect(await refused(['--set', 'controller.image.repository=registry.k8s.io/ingress-nginx/controller']))
      .toContain("is ingress-nginx's controller image");
    expect(await refused(['--set', 'controller.hostNetwork=true', '--set', 'controller.containerPort.http=80']))
      .toContain('controller.containerPort.http: 80 with controller.hostNetwork: true');
    expect(await refused(['--set', 'controller.kind=StatefulSet'])).toContain('controller.kind: "StatefulSet" is neither Deployment nor DaemonSet');
    expect(await refused(['--set', 'tcp.http=default/web:80'])).toContain('tcp.http: the key must be a port number');
    // A flag that takes no value, and one given twice.
    const objects = await template(['--set', 'controller.extraArgs.dynamic-endpoints=true', '--set', 'controller.extraArgs.publish-status-address={10.0.0.1,10.0.0.2}']);
    expect(podTemplate(find(objects, 'Deployment')).spec.containers[0].args.slice(-3)).toEqual([
      '--dynamic-endpoints', '--publish-status-address=10.0.0.1', '--publish-status-address=10.0.0.2']);
  });
});

/** A ServiceMonitor CRD with an open schema: enough for the server to accept the chart's object. */
function serviceMonitorCrd(): unknown {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'servicemonitors.monitoring.coreos.com' },
    spec: {
      group: 'monitoring.coreos.com',
      scope: 'Namespaced',
      names: { plural: 'servicemonitors', singular: 'servicemonitor', kind: 'ServiceMonitor', listKind: 'ServiceMonitorList' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}
