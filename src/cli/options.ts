import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { DEFAULT_MANIFEST_NAMESPACE } from '../sources/default-namespace.js';
import { headersMoreModulePath, luaModules, modsecurityModulePath, setMiscModulePath } from '../model/dynamic-endpoints.js';
import { DEFAULT_MODEL_OPTIONS, type ModelOptions } from '../model/types.js';
import type { LogFormat, LogLevel } from '../log.js';

/** Flags shared by `render` and `run`, with the same meaning in both. */
export interface CommonFlags {
  manifests?: string[];
  stateDir: string;
  httpPort: number;
  httpsPort: number;
  ingressClass: string;
  controllerClass: string;
  watchIngressWithoutClass: boolean;
  ingressClassByName: boolean;
  defaultSslCertificate?: string;
  annotationsPrefix: string;
  configmap?: string;
  allowSnippetAnnotations: boolean;
  templateDir?: string;
  namespace: string;
}

/** The flags of `run` (cli/run.ts declares them). */
export interface RunFlags extends CommonFlags {
  kubeconfig?: string;
  watchNamespace?: string;
  publishService?: string;
  publishStatusAddress?: string[];
  electionId: string;
  metricsPort: number;
  statusPort: number;
  debugPort: number;
  debugAddress: string;
  debounceMs: number;
  minReloadIntervalMs: number;
  logFormat: LogFormat;
  logLevel: LogLevel;
  nginxBinary: string;
  dynamicEndpoints: boolean;
  nginxModulesDir: string;
  healthzStallMs: number;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('must be a port number from 1 to 65535');
  return n;
}

export function namespacedName(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) {
    throw new InvalidArgumentError('must be NAMESPACE/NAME');
  }
  return value;
}

function dnsLabel(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) || value.length > 63) throw new InvalidArgumentError('must be a namespace name (a DNS label)');
  return value;
}

function prefix(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) throw new InvalidArgumentError('must be a DNS subdomain');
  return value;
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addCommonFlags(cmd: Command, manifestsRequired: boolean): Command {
  const manifests = new Option('--manifests <path>', 'a YAML/JSON file or directory of manifests (repeatable)').argParser(collect);
  if (manifestsRequired) manifests.makeOptionMandatory();
  return cmd
    .addOption(manifests)
    .option('--state-dir <dir>', 'where nginx reads and writes everything (pid, logs, temp, certificates)', DEFAULT_MODEL_OPTIONS.stateDir)
    .option('--http-port <n>', 'plain http listen port', port, DEFAULT_MODEL_OPTIONS.httpPort)
    .option('--https-port <n>', 'https listen port', port, DEFAULT_MODEL_OPTIONS.httpsPort)
    .option('--ingress-class <name>', 'legacy kubernetes.io/ingress.class value we own', DEFAULT_MODEL_OPTIONS.ingressClass)
    .option('--controller-class <value>', 'IngressClass spec.controller we own', DEFAULT_MODEL_OPTIONS.controllerClass)
    .option('--watch-ingress-without-class', 'also route Ingresses that name no class', false)
    .option('--ingress-class-by-name', 'also route Ingresses whose spec.ingressClassName is --ingress-class, with no IngressClass object', false)
    .option('--default-ssl-certificate <namespace/name>', 'TLS Secret served when no other certificate fits', namespacedName)
    .option('--annotations-prefix <prefix>', 'annotation prefix', prefix, DEFAULT_MODEL_OPTIONS.annotationsPrefix)
    .option('--configmap <namespace/name>', 'global ConfigMap with ingress-nginx keys', namespacedName)
    .option('--allow-snippet-annotations', 'honour configuration-snippet and server-snippet (still filtered)', false)
    .option('--template-dir <dir>', 'a customised copy of templates/')
    .option('--namespace <name>', 'namespace of manifest objects that name none (as kubectl apply)', dnsLabel, DEFAULT_MANIFEST_NAMESPACE);
}

export function modelOptionsFrom(flags: CommonFlags): ModelOptions {
  return {
    controllerClass: flags.controllerClass,
    ingressClass: flags.ingressClass,
    watchIngressWithoutClass: flags.watchIngressWithoutClass,
    ingressClassByName: flags.ingressClassByName,
    annotationsPrefix: flags.annotationsPrefix,
    defaultSslCertificate: flags.defaultSslCertificate,
    configMap: flags.configmap,
    httpPort: flags.httpPort,
    httpsPort: flags.httpsPort,
    stateDir: resolve(flags.stateDir),
    allowSnippetAnnotations: flags.allowSnippetAnnotations,
    resolvers: systemResolvers(),
    // Directory mode (render, run --manifests): the operator's own files, whose local backends run on
    // 127.0.0.1. Objects from the Kubernetes API never get loopback endpoints (model/endpoint-addresses.ts).
    allowLoopbackEndpoints: (flags.manifests ?? []).length > 0,
    ipv6: ipv6Available(),
    headersMoreModule: installedHeadersMore(DEFAULT_MODEL_OPTIONS.nginxModulesDir!),
    setMiscModule: installedSetMisc(DEFAULT_MODEL_OPTIONS.nginxModulesDir!),
    luaModule: installedLua(DEFAULT_MODEL_OPTIONS.nginxModulesDir!),
    modsecurityModule: installedModsecurity(DEFAULT_MODEL_OPTIONS.nginxModulesDir!),
    coreRuleSet: installedCoreRuleSet(),
  };
}

/** Whether the machine (the pod's network namespace) has an IPv6 address: nginx cannot bind [::] without one. */
export function ipv6Available(path = '/proc/net/if_inet6'): boolean {
  try {
    return readFileSync(path, 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

/** The set-misc module's path when it and NDK, which it needs, are installed in modulesDir. */
export function installedSetMisc(modulesDir: string): string | undefined {
  const path = setMiscModulePath(modulesDir);
  return existsSync(path) && existsSync(luaModules(modulesDir).ndkModule) ? path : undefined;
}

/** The Lua module's path when it and NDK, which it needs, are installed in modulesDir. */
export function installedLua(modulesDir: string): string | undefined {
  const { ndkModule, luaModule } = luaModules(modulesDir);
  return existsSync(luaModule) && existsSync(ndkModule) ? luaModule : undefined;
}

/** The ModSecurity module's path when it is installed in modulesDir (Debian's libnginx-mod-http-modsecurity). */
export function installedModsecurity(modulesDir: string): string | undefined {
  const path = modsecurityModulePath(modulesDir);
  return existsSync(path) ? path : undefined;
}

/** Where Debian's modsecurity-crs puts the Core Rule Set: the files an operator edits, and the rules. */
const CORE_RULE_SET_DIRS = { config: '/etc/modsecurity/crs', rules: '/usr/share/modsecurity-crs/rules' };

/**
 * The Core Rule Set's files in the order Debian's loader (owasp-crs.load) names them: crs-setup.conf, the
 * exclusions before, every rule file in name order, the exclusions after. Undefined when it is not installed.
 */
export function installedCoreRuleSet(dirs = CORE_RULE_SET_DIRS): string[] | undefined {
  const setup = `${dirs.config}/crs-setup.conf`;
  let rules: string[];
  try {
    rules = readdirSync(dirs.rules).filter((f) => f.endsWith('.conf')).sort();
  } catch {
    return undefined;
  }
  if (!existsSync(setup) || rules.length === 0) return undefined;
  const optional = (name: string) => (existsSync(`${dirs.config}/${name}`) ? [`${dirs.config}/${name}`] : []);
  return [
    setup,
    ...optional('REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf'),
    ...rules.map((f) => `${dirs.rules}/${f}`),
    ...optional('RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf'),
  ];
}

/** The headers-more module's path when it is installed in modulesDir (server-tokens "false" needs it to drop the Server header). */
export function installedHeadersMore(modulesDir: string): string | undefined {
  const path = headersMoreModulePath(modulesDir);
  return existsSync(path) ? path : undefined;
}

/**
 * The name servers nginx uses for names resolved at request time (auth-url hosts): the machine's own, as
 * in a pod's /etc/resolv.conf (the cluster DNS). Link-local scope suffixes are dropped.
 */
export function systemResolvers(path = '/etc/resolv.conf'): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1]?.split('%')[0])
    .filter((addr): addr is string => addr !== undefined && isIP(addr) !== 0);
}
