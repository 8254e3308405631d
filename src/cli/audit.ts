import { Command, Option } from 'commander';
import { writeFile } from 'node:fs/promises';
import { classifyIngresses, type AuditReport } from '../audit/classify.js';
import { AUDIT_FORMATS, formatReport, type AuditFormat } from '../audit/format.js';
import { modelOf } from '../pipeline.js';
import { withDefaultNamespace, DEFAULT_MANIFEST_NAMESPACE } from '../sources/default-namespace.js';
import { ManifestError, readManifests } from '../sources/manifests.js';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { KubeObject } from '../store/types.js';
import { DEFAULT_MODEL_OPTIONS, type ModelOptions } from '../model/types.js';
import { collect, ipv6Available, namespacedName, systemResolvers } from './options.js';
import { EXIT_REJECTED, EXIT_USAGE, ExitError } from './exit.js';

/** The controller value of ingress-nginx's IngressClass: the Ingresses it serves are the ones audited. */
export const INGRESS_NGINX_CONTROLLER = 'k8s.io/ingress-nginx';

export interface AuditFlags {
  kubeconfig?: string;
  manifests?: string[];
  ingressClass: string;
  format: AuditFormat;
  out?: string;
  ingressNginxConfigmap?: string;
}

/** ingress-nginx's `allow-snippet-annotations: "true"`: snippets it serves, Portico serves too (still filtered). */
function allowsSnippets(objects: KubeObject[], configMap: string | undefined): boolean {
  if (!configMap) return false;
  const [namespace, name] = configMap.split('/');
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.namespace === namespace && o.metadata?.name === name) as
    | (KubeObject & { data?: Record<string, string> })
    | undefined;
  return String(cm?.data?.['allow-snippet-annotations'] ?? '').trim().toLowerCase() === 'true';
}

/**
 * Portico's options for a cluster moving off ingress-nginx: its class and controller value (as README's
 * "Taking over Ingresses written for ingress-nginx" says), its ConfigMap, and the image's nginx modules.
 */
export function auditModelOptions(flags: AuditFlags, objects: KubeObject[]): ModelOptions {
  const fromFiles = (flags.manifests ?? []).length > 0;
  return {
    ...DEFAULT_MODEL_OPTIONS,
    ingressClass: flags.ingressClass,
    controllerClass: INGRESS_NGINX_CONTROLLER,
    watchIngressWithoutClass: false,
    configMap: flags.ingressNginxConfigmap,
    allowSnippetAnnotations: allowsSnippets(objects, flags.ingressNginxConfigmap),
    resolvers: systemResolvers(),
    allowLoopbackEndpoints: fromFiles,
    ipv6: ipv6Available(),
    // The image installs both (Dockerfile): the audit describes what the controller there would do.
    headersMoreModule: `${DEFAULT_MODEL_OPTIONS.nginxModulesDir}/ngx_http_headers_more_filter_module.so`,
    setMiscModule: `${DEFAULT_MODEL_OPTIONS.nginxModulesDir}/ngx_http_set_misc_module.so`,
  };
}

async function readObjects(flags: AuditFlags): Promise<KubeObject[]> {
  if ((flags.manifests ?? []).length > 0) {
    try {
      const skipped = (path: string, reason: string) => process.stderr.write(`warning: ${path}: ${reason}\n`);
      return withDefaultNamespace(await readManifests(flags.manifests!, skipped), DEFAULT_MANIFEST_NAMESPACE);
    } catch (err) {
      if (err instanceof ManifestError) throw new ExitError(EXIT_USAGE, `portico audit: ${err.message}`);
      throw err;
    }
  }
  // Loaded only for a cluster, as run does: @kubernetes/client-node adds about 0.5 s and 58 MB to every
  // start of the CLI (portico --help: 0.73 s against 0.19 s without it, measured), render included.
  const { ListError, listClusterObjects } = await import('../sources/kubernetes.js');
  try {
    return await listClusterObjects(flags.kubeconfig);
  } catch (err) {
    if (err instanceof ListError) throw new ExitError(EXIT_USAGE, `portico audit: ${err.message}`);
    throw err;
  }
}

/** The report of what moving these objects' Ingresses to Portico changes: render's pipeline, classified. */
export function auditObjects(objects: KubeObject[], options: ModelOptions): AuditReport {
  const snapshot = snapshotFromObjects(objects);
  return classifyIngresses({ ingresses: snapshot.ingresses.values(), model: modelOf(snapshot, options) });
}

export function auditCommand(): Command {
  const cmd = new Command('audit').description('report what changes for each Ingress of a cluster (or of manifests) if Portico serves it instead of ingress-nginx; read-only');
  cmd
    .option('--kubeconfig <file>', 'kubeconfig to reach the API server (default: in-cluster configuration)')
    .addOption(new Option('--manifests <path>', 'read these YAML/JSON files or directories instead of a cluster (repeatable)').argParser(collect).conflicts('kubeconfig'))
    .option('--ingress-class <name>', "ingress-nginx's class: its IngressClass name or legacy kubernetes.io/ingress.class value", 'nginx')
    .addOption(new Option('--format <format>', 'report format').choices(AUDIT_FORMATS).default('text'))
    .option('--out <file>', 'write the report here instead of stdout')
    .option('--ingress-nginx-configmap <namespace/name>', "ingress-nginx's ConfigMap (its keys are Portico's --configmap keys)", namespacedName);
  cmd.action(async (flags: AuditFlags) => {
    const objects = await readObjects(flags);
    const report = auditObjects(objects, auditModelOptions(flags, objects));
    const text = formatReport(report, flags.format);
    if (flags.out) await writeFile(flags.out, text);
    else process.stdout.write(text);
    // As render: 3 when an Ingress, or one of its paths, would not be served.
    const partlyRejected = report.ingresses.some((e) => e.differences.some((d) => d.field !== undefined));
    if (report.totals.rejected > 0 || partlyRejected) process.exitCode = EXIT_REJECTED;
  });
  return cmd;
}
