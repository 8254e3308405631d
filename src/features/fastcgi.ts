import type { ConfigMap } from '../store/types.js';
import { checkNamespace, checkObjectName } from '../model/validate.js';
import { AnnotationError, fallBack, type AnnotationInput } from './feature.js';

/**
 * backend-protocol: FCGI, as ingress-nginx serves it: the location speaks FastCGI (`fastcgi_pass`) with
 * nginx's standard parameters, `fastcgi-index` becomes `fastcgi_index`, and the keys of the ConfigMap named
 * by `fastcgi-params-configmap` become `fastcgi_param KEY "VALUE"` lines.
 */
export interface FastcgiSettings {
  /** fastcgi-index: a file name, already validated. */
  index?: string;
  /** Every fastcgi_param of the location, in order: the standard list with the ConfigMap's keys applied. */
  params: FastcgiParam[];
  /** The ConfigMap is missing: as ingress-nginx denies the location, its paths answer 503 (the warning says why). */
  unavailable?: string;
}

export interface FastcgiParam {
  name: string;
  /** Literal text and allowlisted nginx variables only; rendered in double quotes. */
  value: string;
  /** nginx's `if_not_empty`: the parameter is not sent when the value is empty. */
  ifNotEmpty?: boolean;
}

/**
 * What ingress-nginx's `include /etc/nginx/fastcgi_params` gives (nginx's stock file), written out here so
 * nginx reads nothing outside the state dir. Each value is a fixed nginx variable or literal.
 */
export const STANDARD_FASTCGI_PARAMS: readonly FastcgiParam[] = [
  { name: 'QUERY_STRING', value: '$query_string' },
  { name: 'REQUEST_METHOD', value: '$request_method' },
  { name: 'CONTENT_TYPE', value: '$content_type' },
  { name: 'CONTENT_LENGTH', value: '$content_length' },
  { name: 'SCRIPT_NAME', value: '$fastcgi_script_name' },
  { name: 'REQUEST_URI', value: '$request_uri' },
  { name: 'DOCUMENT_URI', value: '$document_uri' },
  { name: 'DOCUMENT_ROOT', value: '$document_root' },
  { name: 'SERVER_PROTOCOL', value: '$server_protocol' },
  { name: 'REQUEST_SCHEME', value: '$scheme' },
  { name: 'HTTPS', value: '$https', ifNotEmpty: true },
  { name: 'GATEWAY_INTERFACE', value: 'CGI/1.1' },
  { name: 'SERVER_SOFTWARE', value: 'nginx/$nginx_version' },
  { name: 'REMOTE_ADDR', value: '$remote_addr' },
  { name: 'REMOTE_PORT', value: '$remote_port' },
  { name: 'REMOTE_USER', value: '$remote_user' },
  { name: 'SERVER_ADDR', value: '$server_addr' },
  { name: 'SERVER_PORT', value: '$server_port' },
  { name: 'SERVER_NAME', value: '$server_name' },
  { name: 'REDIRECT_STATUS', value: '200' },
];

/** nginx variables a ConfigMap value may use: request facts only, none that could read a secret or a file. */
const FASTCGI_VARIABLES: ReadonlySet<string> = new Set([
  'document_root', 'document_uri', 'fastcgi_script_name', 'fastcgi_path_info', 'request_uri', 'uri', 'args',
  'query_string', 'request_method', 'content_type', 'content_length', 'server_name', 'server_port', 'server_addr',
  'server_protocol', 'remote_addr', 'remote_port', 'remote_user', 'scheme', 'https', 'host', 'request_id', 'nginx_version',
]);

/** A parameter name: letters, digits and "_" (CGI meta-variable style), as the key of a ConfigMap allows it. */
const PARAM_NAME_RE = /^[A-Za-z0-9_]{1,128}$/;
/** Literal text between variables: a path, a number, `key=value` pairs. No quote, backslash, `;`, braces, `#`. */
const LITERAL_RE = /^[A-Za-z0-9 _.,:/=+@%~!*?&()[\]-]*$/;
/** Splits a value into `$name` / `${name}` variables (kept, checked against FASTCGI_VARIABLES) and literal text. */
const VARIABLE_SPLIT_RE = /(\$\{[A-Za-z0-9_]+\}|\$[A-Za-z0-9_]+)/;
/** fastcgi-index: a file name (`index.php`). */
const INDEX_RE = /^[A-Za-z0-9_.-]{1,255}$/;
const VALUE_MAX = 1024;

/** The reason a ConfigMap value is refused, or undefined. Never quotes the value: only its shape. */
export function checkParamValue(value: string): string | undefined {
  if (value.length > VALUE_MAX) return `longer than ${VALUE_MAX} characters`;
  if (value !== value.trim()) return 'must not start or end with whitespace';
  let rest = '';
  for (const part of value.split(VARIABLE_SPLIT_RE)) {
    const variable = /^\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))$/.exec(part);
    const variableName = variable?.[1] ?? variable?.[2];
    if (variableName !== undefined) {
      if (!FASTCGI_VARIABLES.has(variableName)) return `the nginx variable $${variableName} is not allowed (allowed: ${[...FASTCGI_VARIABLES].map((v) => `$${v}`).join(', ')})`;
    } else rest += part;
  }
  if (!LITERAL_RE.test(rest)) {
    const bad = [...rest].find((ch) => !LITERAL_RE.test(ch))!;
    const code = bad.codePointAt(0)!;
    const shown = code < 0x20 || code > 0x7e ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(bad);
    return `character ${shown} is not allowed (literal text may hold letters, digits, spaces and _ . , : / = + @ % ~ ! * ? & ( ) [ ] -)`;
  }
  return undefined;
}

/** The ConfigMap's keys over the standard list: a key of the standard list replaces it, others follow in key order. */
export function fastcgiParams(configMapRef: string, data: Record<string, string>): FastcgiParam[] {
  const own = new Map<string, string>();
  for (const [name, raw] of Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const where = `ConfigMap ${configMapRef} key ${PARAM_NAME_RE.test(name) ? name : JSON.stringify(name.slice(0, 64))}`;
    if (!PARAM_NAME_RE.test(name)) throw new AnnotationError('fastcgi-params-configmap', `${where}: a parameter name may hold only letters, digits and "_"`);
    const reason = checkParamValue(String(raw ?? ''));
    if (reason) throw new AnnotationError('fastcgi-params-configmap', `${where}: ${reason}`);
    own.set(name, String(raw ?? ''));
  }
  const params = STANDARD_FASTCGI_PARAMS.map((p) => (own.has(p.name) ? { name: p.name, value: own.get(p.name)! } : p));
  for (const [name, value] of own) if (!STANDARD_FASTCGI_PARAMS.some((p) => p.name === name)) params.push({ name, value });
  return params;
}

function configMapRef(raw: string, namespace: string): { namespace: string; name: string } {
  const key = 'fastcgi-params-configmap';
  const parts = raw.trim().split('/');
  if (parts.length > 2) throw new AnnotationError(key, 'must be NAME or NAMESPACE/NAME');
  const [ns, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [namespace, parts[0]!];
  const reason = checkNamespace(ns) ?? checkObjectName(name);
  if (reason) throw new AnnotationError(key, `${JSON.stringify(raw)}: ${reason}`);
  // As ingress-nginx since its annotation validation: another namespace's ConfigMap is refused.
  if (ns !== namespace) throw new AnnotationError(key, `${JSON.stringify(raw)}: a ConfigMap of another namespace is not allowed (the Ingress is in ${namespace})`);
  return { namespace: ns, name };
}

/** The FCGI settings of an Ingress whose backend-protocol is FCGI. */
export function parseFastcgi(input: AnnotationInput): FastcgiSettings {
  let index: string | undefined;
  const indexRaw = input.get('fastcgi-index');
  if (indexRaw !== undefined && indexRaw.trim() !== '') {
    const v = indexRaw.trim();
    if (INDEX_RE.test(v) && v !== '.' && v !== '..') index = v;
    else fallBack(input, 'fastcgi-index', indexRaw, 'must be a file name (letters, digits, "_", "." and "-")', 'no fastcgi_index');
  }
  const cmRaw = input.get('fastcgi-params-configmap');
  // An empty value names no ConfigMap (ingress-nginx's parser test: no params, no error).
  if (cmRaw === undefined || cmRaw.trim() === '') return { index, params: [...STANDARD_FASTCGI_PARAMS] };
  const ref = configMapRef(cmRaw, input.ref.namespace);
  const refText = `${ref.namespace}/${ref.name}`;
  const configMap: ConfigMap | undefined = input.snapshot.configMaps.get(refText);
  if (!configMap) {
    const why = `fastcgi-params-configmap: ConfigMap ${refText} not found; its paths answer 503 until it exists, as in ingress-nginx`;
    input.warn(why);
    return { index, params: [...STANDARD_FASTCGI_PARAMS], unavailable: why };
  }
  return { index, params: fastcgiParams(refText, configMap.data ?? {}) };
}
