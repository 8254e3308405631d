// `npm run conformance:gateway`: the official Gateway API conformance suite (v1.6.3, built by
// `scripts/e2e-setup.sh --with-gateway-conformance`) against Portico, unmodified, profile GATEWAY-HTTP.
// It starts the e2e cluster with kube-controller-manager, the process kubelet (echo-basic for the suite's
// backends, coredns as a stub) and `portico run`, applies the standard CRDs and a GatewayClass for
// Portico, and proves first that the kubelet runs the suite's workloads: the suite's own base manifests
// (and the Secrets their Pods mount) are applied and every Pod in the suite's namespaces must become
// Ready; then those namespaces are deleted again, so the suite starts clean. Then the suite runs, writes its report to conformance/gateway-report.yaml (its log beside it),
// and one line goes to stdout: `gateway conformance: P/T core tests pass` (T: the profile's core tests).
// Everything else goes to stderr. Exit 0 when the runner worked (whatever the suite's verdict), 1 if not.
import { mkdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { parse, parseAllDocuments } from 'yaml';
import { conformanceBuild } from '../harness/binaries.js';
import { startCluster, type Cluster } from '../harness/cluster.js';
import { defaultImages } from '../harness/images.js';
import { startKubelet, type Kubelet } from '../harness/kubelet.js';
import { Kubectl } from '../harness/kubectl.js';
import { waitFor } from '../harness/process.js';
import { tokenKubeconfig } from '../harness/serviceaccount.js';
import { startControllerProcess, type ControllerProcess } from '../controller-process.js';

const ROOT = process.cwd();
const OUT_DIR = resolve(ROOT, 'conformance');
const REPORT = join(OUT_DIR, 'gateway-report.yaml');
const SUITE_LOG = join(OUT_DIR, 'gateway-suite.log');
const GATEWAY_CLASS = 'portico';
/** The controllerName Portico's Gateway API support will claim (issue 17). */
const CONTROLLER_NAME = 'portico.dev/gateway-controller';
/** The GATEWAY-HTTP profile's core features (sigs.k8s.io/gateway-api/conformance/utils/suite/profiles.go). */
const CORE_FEATURES = ['Gateway', 'HTTPRoute', 'ReferenceGrant'];
const SUITE_NAMESPACES = ['gateway-conformance-infra', 'gateway-conformance-app-backend', 'gateway-conformance-web-backend'];

const say = (msg: string): void => {
  process.stderr.write(`conformance:gateway: ${msg}\n`);
};

interface PodJson {
  metadata: { name: string; namespace: string };
  status: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

/** A self-signed certificate (openssl) as a kubernetes.io/tls Secret, for the suite's base Pods that mount one. */
async function tlsSecret(dir: string, namespace: string, name: string, hosts: string[]): Promise<unknown> {
  const key = join(dir, `${namespace}-${name}.key`);
  const crt = join(dir, `${namespace}-${name}.crt`);
  await execa('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', `/CN=${hosts[0]}`, '-addext', `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}`,
    '-keyout', key, '-out', crt,
  ], { stdin: 'ignore' });
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace },
    data: { 'tls.crt': (await readFile(crt)).toString('base64'), 'tls.key': (await readFile(key)).toString('base64') },
  };
}

/** The suite's base manifests with the GatewayClass filled in, as the suite's applier does. */
async function baseManifests(path: string): Promise<unknown[]> {
  const text = (await readFile(path, 'utf8')).replaceAll('{GATEWAY_CLASS_NAME}', GATEWAY_CLASS);
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((o): o is Record<string, unknown> => !!o && typeof o === 'object');
}

/** Every Secret a base Deployment mounts, by namespace/name (the suite makes these itself in its Setup). */
function mountedSecrets(objects: unknown[]): Array<{ namespace: string; name: string }> {
  const out = new Map<string, { namespace: string; name: string }>();
  for (const o of objects as Array<{ kind?: string; metadata?: { namespace?: string }; spec?: { template?: { spec?: { volumes?: Array<{ secret?: { secretName: string } }> } } } }>) {
    if (o.kind !== 'Deployment') continue;
    for (const v of o.spec?.template?.spec?.volumes ?? []) {
      if (v.secret) out.set(`${o.metadata?.namespace}/${v.secret.secretName}`, { namespace: o.metadata!.namespace!, name: v.secret.secretName });
    }
  }
  return [...out.values()];
}

/** Passed core tests of GATEWAY-HTTP in the suite's report (0 when no profile report was written: Setup failed). */
function corePassed(report: unknown): number {
  const profiles = (report as { profiles?: Array<{ name: string; core?: { statistics?: Record<string, number> } }> })?.profiles ?? [];
  const p = profiles.find((x) => x.name === 'GATEWAY-HTTP');
  const stats = p?.core?.statistics ?? {};
  const key = Object.keys(stats).find((k) => k.toLowerCase() === 'passed');
  return key ? Number(stats[key]) : 0;
}

async function main(): Promise<number> {
  const build = conformanceBuild();
  if (!build) {
    say('the Gateway API conformance build is missing: run `bash scripts/e2e-setup.sh --with-gateway-conformance` (npm run conformance:gateway does)');
    return 1;
  }
  const coreTests = String((await execa(build.coreTests, [], { stdin: 'ignore' })).stdout).split('\n').filter(Boolean);
  let cluster: Cluster | undefined;
  let kubelet: Kubelet | undefined;
  let portico: ControllerProcess | undefined;
  const cleanup = async (): Promise<void> => {
    await portico?.stop().catch(() => undefined);
    await kubelet?.stop().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
  };
  const onSignal = (): void => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await mkdir(OUT_DIR, { recursive: true });
    say(`Gateway API ${build.version}: ${coreTests.length} core tests in profile GATEWAY-HTTP`);
    cluster = await startCluster({ controllers: true });
    kubelet = await startKubelet(cluster, { images: defaultImages({ echoBasic: build.echoBasic }) });
    const admin = new Kubectl(cluster.adminKubeconfigPath);
    await admin.applyKustomize(resolve(ROOT, 'manifests', 'base'));
    portico = await startControllerProcess({ kubeconfig: await tokenKubeconfig(cluster, 'portico', 'portico'), identity: 'gateway-conformance' });
    say(`cluster up (${cluster.server}), kubelet node ${kubelet.nodeName} on ${kubelet.network.cidr}, portico running`);

    await admin.run(['apply', '--server-side', '-f', build.crdDir]);
    await admin.run(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    await admin.applyObjects([
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: GATEWAY_CLASS }, spec: { controllerName: CONTROLLER_NAME } },
    ]);
    say(`applied the ${build.version} standard CRDs and GatewayClass ${GATEWAY_CLASS} (controllerName ${CONTROLLER_NAME})`);

    // The runner's own proof that the suite's workloads run here: the base manifests and the Secrets their
    // Pods mount, every Pod in the suite's namespaces Ready.
    const objects = await baseManifests(build.baseManifests);
    const namespaces = objects.filter((o) => (o as { kind?: string }).kind === 'Namespace');
    await admin.applyObjects(namespaces);
    const secrets = [];
    for (const s of mountedSecrets(objects)) secrets.push(await tlsSecret(cluster.dir, s.namespace, s.name, ['abc.example.com', '*']));
    await admin.applyObjects([...secrets, ...objects.filter((o) => (o as { kind?: string }).kind !== 'Namespace')]);
    let last = '';
    let podCount = 0;
    await waitFor(
      "every Pod of the suite's base manifests Ready",
      async () => {
        const pods: PodJson[] = [];
        for (const ns of SUITE_NAMESPACES) pods.push(...(await admin.getJson<{ items: PodJson[] }>('pods', undefined, ns)).items);
        const notReady = pods.filter((p) => !p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        podCount = pods.length;
        last = `${pods.length - notReady.length}/${pods.length} Ready; not yet: ${notReady.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}`;
        return pods.length > 0 && notReady.length === 0;
      },
      { timeoutMs: 180_000, intervalMs: 1_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message} (${last})\nkubelet: ${kubelet!.errors().join('\n')}`);
    });
    say(`base manifests: ${podCount}/${podCount} Pods Ready in ${SUITE_NAMESPACES.join(', ')}`);
    // Gone again before the suite starts, so that its Setup creates every object (and Secret) itself.
    await admin.run(['delete', 'namespace', ...SUITE_NAMESPACES, '--wait=true', '--timeout=180s'], { timeoutMs: 190_000 });
    say(`deleted the suite's namespaces again (their ${podCount} Pods ended gracefully)`);

    say(`running the suite (log: ${SUITE_LOG}); Setup waits up to 180 s for GatewayClass ${GATEWAY_CLASS} to be Accepted`);
    const suite = await execa(
      build.suite,
      [
        '-test.run=^TestConformance$',
        '-test.v',
        '-test.timeout=60m',
        `--gateway-class=${GATEWAY_CLASS}`,
        '--conformance-profiles=GATEWAY-HTTP',
        // The profile's core features, and no extended one: what Portico claims. (The suite refuses to start
        // without a list, which an implementation otherwise publishes in the GatewayClass's status.)
        `--supported-features=${CORE_FEATURES.join(',')}`,
        `--report-output=${REPORT}`,
        '--organization=portico',
        '--project=portico',
        // The report requires an address; the project has none published yet (PORTICO_CONFORMANCE_URL sets it).
        `--url=${process.env.PORTICO_CONFORMANCE_URL ?? 'https://portico.invalid/'}`,
        `--version=${JSON.parse(await readFile(resolve(ROOT, 'package.json'), 'utf8')).version as string}`,
        '--contact=portico maintainers',
      ],
      { reject: false, stdin: 'ignore', all: true, env: { KUBECONFIG: cluster.adminKubeconfigPath }, cwd: OUT_DIR },
    );
    await writeFile(SUITE_LOG, String(suite.all ?? ''));
    let report: unknown;
    try {
      report = parse(await readFile(REPORT, 'utf8'));
    } catch {
      say(`the suite wrote no report (exit ${suite.exitCode}); see ${SUITE_LOG}`);
      return 1;
    }
    say(`the suite exited ${suite.exitCode}; report: ${REPORT}`);
    process.stdout.write(`gateway conformance: ${corePassed(report)}/${coreTests.length} core tests pass\n`);
    return 0;
  } catch (err) {
    say(`failed: ${(err as Error).message}`);
    if (cluster) await copyFile(join(cluster.dir, 'kube-controller-manager.log'), join(OUT_DIR, 'kube-controller-manager.log')).catch(() => undefined);
    return 1;
  } finally {
    await cleanup();
  }
}

process.exitCode = await main();
