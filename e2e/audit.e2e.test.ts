// `portico audit` against a real kube-apiserver: the public corpus of Ingresses written for ingress-nginx
// (test/corpus) applied to it, audited through a kubeconfig with exactly README's read-only RBAC.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import jsYaml from 'js-yaml';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AuditReport, Verdict } from '../src/audit/classify.js';
import { ensureBuilt } from '../test/support/controller.js';
import { NGINX_INGRESS_CLASS as NGINX_INGRESS_CLASS_YAML } from '../test/support/ingress-nginx-class.js';
import { startCluster, type Cluster } from './harness/cluster.js';
import { Kubectl } from './harness/kubectl.js';
import { tokenKubeconfig } from './harness/serviceaccount.js';

const CLI = resolve('dist/cli/main.js');
const CORPUS = resolve('test/corpus');
const NGINX_INGRESS_CLASS = jsYaml.load(NGINX_INGRESS_CLASS_YAML) as Record<string, unknown>;
const INGRESS_NGINX_CONFIGMAP = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' },
  data: { 'proxy-body-size': '8m', 'ssl-protocols': 'SSLv3' },
};

interface Doc {
  kind?: string;
  metadata?: { namespace?: string; name?: string };
}

async function corpusFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) out.push(...(await corpusFiles(join(dir, e.name))));
    else if (/\.(ya?ml|json)$/.test(e.name)) out.push(join(dir, e.name));
  }
  return out;
}

/** README's ClusterRole for `portico audit` (the yaml block of its audit section), so the note is what is tested. */
async function readmeAuditRole(): Promise<Record<string, unknown>> {
  const readme = await readFile(resolve('README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Audit a cluster before moving'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README: no yaml block in the audit section');
  const role = jsYaml.load(block) as Record<string, unknown>;
  expect(role.kind).toBe('ClusterRole');
  return role;
}

const verdictsOf = (r: AuditReport): Record<string, Verdict> => Object.fromEntries(r.ingresses.map((e) => [`${e.namespace}/${e.name}`, e.verdict]));

describe('portico audit against a real API server', () => {
  let cluster: Cluster;
  let kubectl: Kubectl;
  let auditorKubeconfig: string;
  let report: AuditReport;

  const audit = (args: string[]) => execa('node', [CLI, 'audit', ...args], { reject: false, timeout: 120_000 });

  beforeAll(async () => {
    await ensureBuilt();
    cluster = await startCluster();
    kubectl = new Kubectl(cluster.adminKubeconfigPath);
    // Every namespace the corpus names, then its objects, each file as one `kubectl apply` would take it.
    const namespaces = new Set(['default', 'ingress-nginx', 'audit']);
    for (const file of await corpusFiles(CORPUS)) {
      for (const d of jsYaml.loadAll(await readFile(file, 'utf8')) as Array<Doc | null>) if (d?.metadata?.namespace) namespaces.add(d.metadata.namespace);
    }
    await kubectl.applyObjects([...namespaces].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
    await kubectl.applyObjects([NGINX_INGRESS_CLASS, INGRESS_NGINX_CONFIGMAP]);
    // Server-side apply with one field manager: a later object of the same name replaces the fields of an
    // earlier one, as readManifests does. Objects the API server refuses (not valid v1, placeholder names,
    // kinds with no CRD here) are refused here too: kubectl reports them and goes on.
    const applied = await kubectl.exec(['apply', '--server-side', '--force-conflicts', '--field-manager=corpus', '-R', '-f', CORPUS], { timeoutMs: 170_000 });
    expect(applied.stdout).toMatch(/ingress\.networking\.k8s\.io\/\S+ serverside-applied/);

    // The auditor: a ServiceAccount bound to README's ClusterRole, nothing else.
    const role = await readmeAuditRole();
    await kubectl.applyObjects([
      role,
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace: 'audit', name: 'auditor' } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'portico-audit' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: (role.metadata as { name: string }).name },
        subjects: [{ kind: 'ServiceAccount', namespace: 'audit', name: 'auditor' }],
      },
    ]);
    auditorKubeconfig = await tokenKubeconfig(cluster, 'audit', 'auditor');

    const r = await audit(['--kubeconfig', auditorKubeconfig, '--format', 'json', '--ingress-nginx-configmap', 'ingress-nginx/ingress-nginx-controller']);
    expect({ exitCode: r.exitCode, stderr: String(r.stderr) }).toEqual({ exitCode: 3, stderr: '' });
    report = JSON.parse(String(r.stdout)) as AuditReport;
  }, 600_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("reports every Ingress the API server holds, once, and totals that add up to them", () => {
    expect(report.ingresses.length).toBe(report.totals.total);
    const { same, differences, rejected, ignored } = report.totals;
    expect(same + differences + rejected + ignored).toBe(report.totals.total);
    expect(report.totals.total).toBeGreaterThan(100);
  });

  it('prints the same totals as text (README shows an excerpt of this report)', async () => {
    const r = await audit(['--kubeconfig', auditorKubeconfig, '--ingress-nginx-configmap', 'ingress-nginx/ingress-nginx-controller']);
    expect(r.exitCode).toBe(3);
    const text = String(r.stdout);
    if (process.env.PORTICO_AUDIT_REPORT) await writeFile(process.env.PORTICO_AUDIT_REPORT, text);
    expect(text).toContain(`portico audit: ${report.totals.total} Ingresses`);
    for (const [label, n] of [['served the same', report.totals.same], ['served with differences', report.totals.differences], ['rejected', report.totals.rejected], ['ignored (class)', report.totals.ignored]] as const) {
      expect(text).toMatch(new RegExp(`^  ${label.replace(/[()]/g, '\\$&')}\\s+${n}$`, 'm'));
    }
  });

  it('lists the same Ingresses as kubectl get ingress -A', async () => {
    const all = JSON.parse(await kubectl.run(['get', 'ingresses.networking.k8s.io', '-A', '-o', 'json'])) as { items: Doc[] };
    const clusterIngresses = all.items.map((i) => `${i.metadata!.namespace}/${i.metadata!.name}`).sort();
    expect(report.ingresses.map((e) => `${e.namespace}/${e.name}`).sort()).toEqual(clusterIngresses);
  });

  it('gives each Ingress the verdict `portico audit --manifests` gives the same objects exported with kubectl', async () => {
    const exported = await kubectl.run(['get', 'ingresses.networking.k8s.io,ingressclasses.networking.k8s.io,services,endpointslices.discovery.k8s.io,secrets,configmaps', '-A', '-o', 'yaml'], { timeoutMs: 120_000 });
    const file = join(cluster.dir, 'exported.yaml');
    await writeFile(file, exported);
    const r = await audit(['--manifests', file, '--format', 'json', '--ingress-nginx-configmap', 'ingress-nginx/ingress-nginx-controller']);
    expect(r.exitCode).toBe(3);
    const fromFiles = JSON.parse(String(r.stdout)) as AuditReport;
    expect(report.totals).toEqual(fromFiles.totals);
    expect(verdictsOf(report)).toEqual(verdictsOf(fromFiles));
  });

  it('matches the corpus read from its files, except where the API server refused a document or an age decides', async () => {
    const classFile = join(cluster.dir, 'ingressclass-nginx.json');
    await writeFile(classFile, JSON.stringify(NGINX_INGRESS_CLASS));
    const r = await audit(['--manifests', CORPUS, '--manifests', classFile, '--format', 'json']);
    const files = new Map((JSON.parse(String(r.stdout)) as AuditReport).ingresses.map((e) => [`${e.namespace}/${e.name}`, e]));
    const live = new Map(report.ingresses.map((e) => [`${e.namespace}/${e.name}`, e]));
    // Documents the API server refuses (EXPECTED-REJECTIONS says which and why): the files hold them, the cluster not,
    // or it holds an earlier valid document of the same name.
    const refusedByApiServer = new Set(
      (await readFile(join(CORPUS, 'EXPECTED-REJECTIONS'), 'utf8'))
        .split('\n')
        .filter((l) => /the API server (requires|refuses)/.test(l))
        .map((l) => l.split(/\s+/)[1]!),
    );
    for (const k of live.keys()) expect({ k, inFiles: files.has(k) }).toEqual({ k, inFiles: true });
    for (const [k, e] of files) if (!live.has(k)) expect({ k, verdict: e.verdict, refused: refusedByApiServer.has(k) }).toEqual({ k, verdict: 'rejected', refused: true });
    // Files have no creationTimestamp (ties go by name), the cluster has the time each was applied: where two
    // Ingresses claim one path, which one is older decides, and the pipeline says so ("..., which is older", "its oldest Ingress").
    const ageDecides = (...entries: AuditReport['ingresses']) =>
      entries.some((e) => [...e.differences.map((d) => d.message), ...e.rejections.map((x) => x.reason)].some((m) => /\b(older|oldest)\b/.test(m)));
    const unexplained = [...live.entries()]
      .filter(([k, e]) => e.verdict !== files.get(k)!.verdict && !refusedByApiServer.has(k) && !ageDecides(e, files.get(k)!))
      .map(([k, e]) => `${k}: live ${e.verdict}, files ${files.get(k)!.verdict}`);
    expect(unexplained).toEqual([]);
    // The verdicts no age decides match one for one (108 of 183 Ingresses: the corpus's files reuse hosts a lot
    // once they share one cluster).
    const settled = [...live.keys()].filter((k) => !refusedByApiServer.has(k) && !ageDecides(live.get(k)!, files.get(k)!));
    expect(settled.length).toBeGreaterThan(live.size / 2);
    expect(settled.map((k) => live.get(k)!.verdict)).toEqual(settled.map((k) => files.get(k)!.verdict));
  });

  it("reads ingress-nginx's ConfigMap: a value Portico refuses is a warning naming the key", () => {
    expect(report.otherWarnings).toEqual(expect.arrayContaining([expect.stringMatching(/^ConfigMap ingress-nginx\/ingress-nginx-controller: ssl-protocols: /)]));
  });

  it('needs only list: without it on Secrets, audit exits 2 naming the kind and the HTTP status', async () => {
    await kubectl.applyObjects([{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace: 'audit', name: 'no-secrets' } }]);
    const role = await readmeAuditRole();
    const rules = (role.rules as Array<{ resources: string[] }>).map((r) => ({ ...r, resources: r.resources.filter((x) => x !== 'secrets') }));
    await kubectl.applyObjects([
      { ...role, metadata: { name: 'portico-audit-no-secrets' }, rules },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'portico-audit-no-secrets' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'portico-audit-no-secrets' },
        subjects: [{ kind: 'ServiceAccount', namespace: 'audit', name: 'no-secrets' }],
      },
    ]);
    const r = await audit(['--kubeconfig', await tokenKubeconfig(cluster, 'audit', 'no-secrets')]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/^portico audit: listing Secrets: HTTP 403/m);
    expect(String(r.stdout)).toBe('');
  });

  it('the auditor cannot change anything: README\'s role grants list only', async () => {
    const auditor = new Kubectl(auditorKubeconfig);
    expect(await auditor.canI('list', 'ingresses.networking.k8s.io')).toBe(true);
    for (const verb of ['create', 'update', 'patch', 'delete', 'watch', 'get']) expect({ verb, allowed: await auditor.canI(verb, 'ingresses.networking.k8s.io') }).toEqual({ verb, allowed: false });
    expect(await auditor.canI('get', 'secrets')).toBe(false);
  });
});
