import { contentAddressedPath } from '../model/state-files.js';
import type { ModelOptions, StateFile } from '../model/types.js';
import { objectFileStem } from '../model/validate.js';
import { AnnotationError, boolAnnotation, boolGlobal, globalsByKey, type AnnotationInput, type Feature } from './feature.js';
import { parseModsecuritySnippet, type ModsecurityRules } from './modsecurity-snippet.js';

/**
 * The ModSecurity web application firewall, as ingress-nginx: enable-modsecurity, enable-owasp-core-rules,
 * modsecurity-transaction-id and modsecurity-snippet (annotations); enable-modsecurity,
 * enable-owasp-modsecurity-crs and modsecurity-snippet (ConfigMap). Debian's libnginx-mod-http-modsecurity
 * (libmodsecurity 3) and modsecurity-crs (the OWASP Core Rule Set 3.3).
 *
 * enable-modsecurity loads the engine with the recommended configuration, which only detects
 * (SecRuleEngine DetectionOnly); the Core Rule Set adds the rules; blocking needs `SecRuleEngine On` in a
 * modsecurity-snippet. A snippet replaces the recommended configuration, as in ingress-nginx. The ConfigMap
 * keys turn it on in http{} for every location; an Ingress's enable-modsecurity "false" then turns it off
 * for its own paths. Every rule file is a state file (model/state-files.ts): nginx.conf only names them.
 *
 * The module is loaded only when a config needs it. Without the module (or the Core Rule Set) on the
 * machine, an Ingress that asks for it is rejected with the reason: never served without its firewall.
 */
export interface ModsecurityAnnotation {
  /** `modsecurity off;`: the ConfigMap turned it on and this Ingress turns it off. */
  off: boolean;
  /** `modsecurity on;`: this Ingress turns it on (not already on in http{}). */
  on: boolean;
  /** modsecurity_rules_file, in order: the snippet or the recommended configuration, then the Core Rule Set. */
  rulesFiles: string[];
  /** modsecurity_transaction_id (nginx variables allowed), or undefined. */
  transactionId: string | undefined;
}

export interface ModsecurityGlobals {
  enable: boolean;
  owaspCoreRules: boolean;
  /** The ConfigMap's modsecurity-snippet, checked. */
  snippet: ModsecurityRules | undefined;
}

/** The facts http{} needs (set by the finish hook). */
export interface ModsecurityHttp {
  rulesFiles: string[];
}

declare module '../model/types.js' {
  interface FeatureValues {
    modsecurity: ModsecurityAnnotation;
  }
  interface NginxModel {
    /** The ConfigMap's enable-modsecurity: `modsecurity on` and these rule files in http{}. */
    modsecurity?: ModsecurityHttp;
  }
}
declare module '../model/config.js' {
  interface FeatureGlobals {
    modsecurity: ModsecurityGlobals;
  }
}

const NONE: ModsecurityAnnotation = { off: false, on: false, rulesFiles: [], transactionId: undefined };

/** Text and nginx variables, as ingress-nginx's NGINXVariable pattern allows (no quotes, spaces, `;`). */
const TRANSACTION_ID_RE = /^[A-Za-z0-9_$.{}-]{1,128}$/;
/**
 * The variables it may name: ones every request has (an unknown one fails nginx -t, and with it every
 * Ingress's update). Request headers ($http_*) always exist.
 */
const TRANSACTION_ID_VARIABLES = /^(request_id|remote_addr|remote_port|connection|connection_requests|msec|pid|host|hostname|server_name|server_addr|server_port|time_iso8601|time_local|request_uri|uri|http_[a-z0-9_]{1,64}|portico_request_id)$/;

const FOLDER = 'modsecurity';

/**
 * Portico's recommended configuration: the settings of ModSecurity's own recommended file, which
 * ingress-nginx ships as modsecurity.conf, with the audit log in the state dir. Detection only: it logs what
 * the rules find and blocks nothing, so turning it on never breaks an application.
 */
function recommendedConfig(stateDir: string): string {
  return [
    '# Portico: ModSecurity recommended configuration (enable-modsecurity). Detection only: SecRuleEngine On in a',
    '# modsecurity-snippet makes the rules block.',
    'SecRuleEngine DetectionOnly',
    // Request bodies are inspected, up to 12.5 MiB with files and 128 KiB without; larger ones are refused.
    'SecRequestBodyAccess On',
    'SecRule REQUEST_HEADERS:Content-Type "@rx (?:application(?:/soap\\+|/)|text/)xml" "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"',
    'SecRule REQUEST_HEADERS:Content-Type "@rx application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"',
    'SecRequestBodyLimit 13107200',
    'SecRequestBodyNoFilesLimit 131072',
    'SecRequestBodyLimitAction Reject',
    // A body the engine could not parse is refused: rules could not see what it carries.
    'SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:\'Request body could not be parsed\',logdata:\'%{reqbody_error_msg}\'"',
    'SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:200003,phase:2,t:none,log,deny,status:400,msg:\'Multipart request body failed strict validation\'"',
    'SecPcreMatchLimit 1000',
    'SecPcreMatchLimitRecursion 1000',
    // Responses: text only, the first 512 KiB.
    'SecResponseBodyAccess On',
    'SecResponseBodyMimeType text/plain text/html text/xml',
    'SecResponseBodyLimit 524288',
    'SecResponseBodyLimitAction ProcessPartial',
    // Audit log: transactions with a warning, or a 5xx or a 4xx other than 404.
    'SecAuditEngine RelevantOnly',
    'SecAuditLogRelevantStatus "^(?:5|4(?!04))"',
    'SecAuditLogParts ABIJDEFHZ',
    'SecAuditLogType Serial',
    `SecAuditLog ${stateDir.replace(/\/+$/, '')}/logs/modsec_audit.log`,
    'SecArgumentSeparator &',
    'SecCookieFormat 0',
    '',
  ].join('\n');
}

/**
 * Portico's own include of the Core Rule Set: one Include per file, in Debian's order. Debian's loader
 * (owasp-crs.load) uses IncludeOptional, which libmodsecurity 3 does not accept.
 */
function coreRuleSetConfig(files: readonly string[]): string {
  return ['# Portico: the OWASP Core Rule Set (enable-owasp-core-rules, enable-owasp-modsecurity-crs).', ...files.map((f) => `Include ${f}`), ''].join('\n');
}

function stateFile(options: ModelOptions, owner: string, content: string): StateFile & { absolute: string } {
  const path = contentAddressedPath(FOLDER, owner, 'conf', content);
  return { path, content, mode: 0o600, absolute: `${options.stateDir.replace(/\/+$/, '')}/${path}` };
}

function recommendedFile(options: ModelOptions): StateFile & { absolute: string } {
  return stateFile(options, 'recommended', recommendedConfig(options.stateDir));
}

function coreRuleSetFile(options: ModelOptions): (StateFile & { absolute: string }) | undefined {
  return options.coreRuleSet && options.coreRuleSet.length > 0 ? stateFile(options, 'owasp-crs', coreRuleSetConfig(options.coreRuleSet)) : undefined;
}

function snippetFile(options: ModelOptions, owner: string, rules: ModsecurityRules, what: string): StateFile & { absolute: string } {
  return stateFile(options, owner, [`# Portico: ${what}`, ...rules.lines, ''].join('\n'));
}

function globalSnippetFile(options: ModelOptions, rules: ModsecurityRules): StateFile & { absolute: string } {
  return snippetFile(options, 'configmap', rules, "the ConfigMap's modsecurity-snippet");
}

const NOT_INSTALLED = 'the ModSecurity module is not installed (Debian package libnginx-mod-http-modsecurity); the Ingress is not served rather than served without it';
const CRS_NOT_INSTALLED = 'the OWASP Core Rule Set is not installed (Debian package modsecurity-crs); the Ingress is not served rather than served without it';

/** The ConfigMap's modsecurity-snippet, checked as an annotation's is. */
function parseGlobalSnippet(globals: ModsecurityGlobals, value: string): string | undefined {
  if (value.trim() === '') {
    globals.snippet = undefined;
    return undefined;
  }
  const rules = parseModsecuritySnippet(value);
  if ('reason' in rules) return rules.reason;
  globals.snippet = rules;
  return undefined;
}

function transactionId(input: AnnotationInput): string | undefined {
  const raw = input.get('modsecurity-transaction-id');
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = raw.trim();
  if (!TRANSACTION_ID_RE.test(value)) throw new AnnotationError('modsecurity-transaction-id', 'must be nginx variables and letters, digits, "_", ".", "-" (e.g. $request_id)');
  // Each `$name` or `${name}`; a `$` or brace anywhere else is refused.
  const rest = value.replace(/\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    if (!TRANSACTION_ID_VARIABLES.test(name)) throw new AnnotationError('modsecurity-transaction-id', `$${name} is not a variable it may use (request_id, remote_addr, msec, host, http_*...)`);
    return '';
  });
  if (/[${}]/.test(rest)) throw new AnnotationError('modsecurity-transaction-id', 'a "$" must start a variable name, and braces may only surround one');
  return value;
}

/** The annotation's snippet, unless the ConfigMap's allow-snippet-annotations is "false" (then ignored, as ingress-nginx). */
function annotationSnippet(input: AnnotationInput, globals: ModsecurityGlobals): ModsecurityRules | undefined {
  const raw = input.get('modsecurity-snippet');
  if (raw === undefined || raw.trim() === '') return undefined;
  if (input.config.snippets?.allowSnippetAnnotations === false) {
    input.warn('modsecurity-snippet is ignored: the ConfigMap sets allow-snippet-annotations to "false"');
    return undefined;
  }
  const reserved = new Set(globals.enable ? (globals.snippet?.ids ?? []) : []);
  const rules = parseModsecuritySnippet(raw, reserved);
  if ('reason' in rules) throw new AnnotationError('modsecurity-snippet', rules.reason);
  return rules;
}

export const modsecurityFeature: Feature<ModsecurityAnnotation, ModsecurityGlobals> = {
  name: 'modsecurity',
  keys: ['enable-modsecurity', 'enable-owasp-core-rules', 'modsecurity-transaction-id', 'modsecurity-snippet'],
  globals: globalsByKey<ModsecurityGlobals>(
    { enable: false, owaspCoreRules: false, snippet: undefined },
    {
      'enable-modsecurity': boolGlobal('enable'),
      'enable-owasp-modsecurity-crs': boolGlobal('owaspCoreRules'),
      'modsecurity-snippet': parseGlobalSnippet,
    },
  ),
  parse(input, globals) {
    const enable = boolAnnotation(input, 'enable-modsecurity');
    const owasp = boolAnnotation(input, 'enable-owasp-core-rules') ?? false;
    const id = transactionId(input);
    const snippet = annotationSnippet(input, globals);
    // ingress-nginx's buildModSecurityForLocation: nothing unless the ConfigMap or this Ingress turns it on.
    if (!globals.enable && enable !== true) {
      const unused = [snippet && 'modsecurity-snippet', id && 'modsecurity-transaction-id', owasp && 'enable-owasp-core-rules'].filter(Boolean);
      if (unused.length > 0) input.warn(`${unused.join(', ')} ${unused.length > 1 ? 'have' : 'has'} no effect without enable-modsecurity "true" (annotation or ConfigMap)`);
      return NONE;
    }
    // Without the module the ConfigMap's http{} part is left out too (finish), so there is nothing to turn off.
    if (enable === false) return input.options.modsecurityModule ? { ...NONE, off: true } : NONE;
    if (!input.options.modsecurityModule) throw new AnnotationError('enable-modsecurity', enable === undefined ? `the ConfigMap's enable-modsecurity is "true" but ${NOT_INSTALLED}` : NOT_INSTALLED);
    if ((owasp || globals.owaspCoreRules) && !coreRuleSetFile(input.options)) {
      throw new AnnotationError(owasp ? 'enable-owasp-core-rules' : 'enable-modsecurity', owasp ? CRS_NOT_INSTALLED : `the ConfigMap's enable-owasp-modsecurity-crs is "true" but ${CRS_NOT_INSTALLED}`);
    }
    const files: string[] = [];
    if (snippet) {
      const file = snippetFile(input.options, objectFileStem(input.ref.namespace, input.ref.name), snippet, `modsecurity-snippet of Ingress ${input.ref.namespace}/${input.ref.name}`);
      input.addFile(file);
      files.push(file.absolute);
    } else if (!globals.enable) files.push(recommendedFile(input.options).absolute);
    if (owasp && !globals.owaspCoreRules) files.push(coreRuleSetFile(input.options)!.absolute);
    return { off: false, on: !globals.enable, rulesFiles: files, transactionId: id };
  },
  hooks: {
    finish({ model, config, options }) {
      const globals = config.modsecurity;
      const httpFiles: string[] = [];
      const shared: Array<StateFile & { absolute: string }> = [];
      if (globals.enable && options.modsecurityModule) {
        const base = globals.snippet ? globalSnippetFile(options, globals.snippet) : recommendedFile(options);
        shared.push(base);
        httpFiles.push(base.absolute);
        const crs = globals.owaspCoreRules ? coreRuleSetFile(options) : undefined;
        if (crs) {
          shared.push(crs);
          httpFiles.push(crs.absolute);
        }
      }
      model.modsecurity = httpFiles.length > 0 ? { rulesFiles: httpFiles } : undefined;
      const locations = model.servers.flatMap((s) => s.locations.map((l) => l.annotations.modsecurity));
      const used = new Set(locations.flatMap((m) => m.rulesFiles));
      for (const file of [recommendedFile(options), coreRuleSetFile(options)]) if (file && used.has(file.absolute)) shared.push(file);
      for (const file of shared) {
        const { absolute: _, ...plain } = file;
        if (!model.files.some((f) => f.path === plain.path)) model.files.push(plain);
      }
      if (model.modsecurity || locations.some((m) => m.on)) model.modules = [...(model.modules ?? []), 'modsecurity'];
    },
  },
};
