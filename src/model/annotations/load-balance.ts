import type { GlobalConfig } from '../config.js';
import type { LoadBalanceMethod } from '../types.js';
import { AnnotationError, type AnnotationFamily } from './types.js';

/** load-balance and upstream-hash-by: how an Ingress's upstreams pick an endpoint. */
export interface LoadBalanceAnnotation {
  /** undefined: the global ConfigMap's load-balance. */
  method: Exclude<LoadBalanceMethod, 'hash'> | undefined;
  /** upstream-hash-by: consistent hashing on this nginx expression; wins over `method`. */
  hashBy: string | undefined;
}

/** What open-source nginx offers under ingress-nginx's key. `ewma` needs ingress-nginx's Lua balancer. */
const METHODS: Record<string, Exclude<LoadBalanceMethod, 'hash'>> = {
  round_robin: 'round_robin',
  least_conn: 'least_conn',
  ip_hash: 'ip_hash',
  random: 'random',
};

export const EWMA_REASON = 'ewma needs the Lua balancer of ingress-nginx, which open-source nginx does not have; use least_conn (fewest active connections), round_robin, ip_hash or random';

export function parseLoadBalanceMethod(value: string): { method?: Exclude<LoadBalanceMethod, 'hash'>; reason?: string } {
  const v = value.trim();
  if (v === 'ewma') return { reason: EWMA_REASON };
  const method = METHODS[v];
  if (!method) return { reason: 'must be round_robin, least_conn, ip_hash or random' };
  return { method };
}

/** Variables that make sense as a hash key; `http_*`, `cookie_*` and `arg_*` families by name. */
const HASH_VARIABLES = new Set([
  'request_uri', 'uri', 'document_uri', 'args', 'query_string', 'is_args', 'host', 'http_host', 'server_name', 'server_port',
  'scheme', 'request_method', 'remote_addr', 'binary_remote_addr', 'realip_remote_addr', 'proxy_protocol_addr', 'remote_user',
]);
const VARIABLE_FAMILY_RE = /^(http_[a-z0-9_]{1,64}|cookie_[A-Za-z0-9_]{1,64}|arg_[A-Za-z0-9_]{1,64})$/;

export function isAllowedVariable(name: string, allowed: ReadonlySet<string>, families: RegExp): boolean {
  return allowed.has(name) || families.test(name);
}

/**
 * Splits an nginx string into text and `$name` / `${name}` variables; returns a reason when a variable is not
 * allowed or the text holds a character outside `textRe`.
 */
export function checkVariableText(value: string, textRe: RegExp, allowed: (name: string) => boolean): string | undefined {
  const re = /\$\{([A-Za-z0-9_]*)\}|\$([A-Za-z0-9_]*)/g;
  let last = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const text = value.slice(last, m.index);
    if (!textRe.test(text)) return `text ${JSON.stringify(text)} holds a character that is not allowed`;
    const name = m[1] ?? m[2] ?? '';
    if (name === '') return '"$" must start an nginx variable name';
    if (!allowed(name)) return `variable $${name} is not allowed`;
    last = m.index + m[0].length;
  }
  const rest = value.slice(last);
  if (!textRe.test(rest)) return `text ${JSON.stringify(rest)} holds a character that is not allowed`;
  return undefined;
}

const HASH_TEXT_RE = /^[A-Za-z0-9_.:/,|-]*$/;

export function checkHashBy(value: string): string | undefined {
  if (value.length === 0 || value.length > 256) return 'must be 1 to 256 characters';
  if (!value.includes('$')) return 'must contain an nginx variable such as $request_uri, $binary_remote_addr or $http_x_user';
  const reason = checkVariableText(value, HASH_TEXT_RE, (n) => isAllowedVariable(n, HASH_VARIABLES, VARIABLE_FAMILY_RE));
  return reason ? `${reason} (allowed: $request_uri, $uri, $args, $host, $remote_addr, $binary_remote_addr, $http_NAME, $cookie_NAME, $arg_NAME and similar, joined by letters, digits and _.:/,|-)` : undefined;
}

export const loadBalanceFamily: AnnotationFamily<LoadBalanceAnnotation> = {
  keys: ['load-balance', 'upstream-hash-by'],
  parse(input) {
    let method: LoadBalanceAnnotation['method'];
    const raw = input.get('load-balance');
    if (raw !== undefined) {
      const parsed = parseLoadBalanceMethod(raw);
      if (parsed.reason === EWMA_REASON) input.warn(`load-balance: ${EWMA_REASON}; the global load-balance is used`);
      else if (parsed.reason) throw new AnnotationError('load-balance', parsed.reason);
      method = parsed.method;
    }
    const hashBy = input.get('upstream-hash-by');
    if (hashBy !== undefined) {
      const reason = checkHashBy(hashBy);
      if (reason) throw new AnnotationError('upstream-hash-by', reason);
    }
    return { method, hashBy };
  },
};

/** The ConfigMap's `load-balance`: the method of every upstream whose Ingress does not choose one. */
export const LOAD_BALANCE_SETTERS: Record<string, (cfg: GlobalConfig, value: string) => string | undefined> = {
  'load-balance': (cfg, value) => {
    const parsed = parseLoadBalanceMethod(value);
    if (parsed.reason) return parsed.reason;
    cfg.loadBalance = parsed.method!;
    return undefined;
  },
};
