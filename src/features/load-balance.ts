import { EWMA_REASON, parseLoadBalanceMethod, type LoadBalanceMethod } from '../model/config.js';
import { checkVariableText, isAllowedVariable } from '../model/validate.js';
import { AnnotationError, type Feature } from './feature.js';

/** load-balance and upstream-hash-by: how an Ingress's upstreams pick an endpoint. */
export interface LoadBalanceAnnotation {
  /** undefined: the global ConfigMap's load-balance. */
  method: Exclude<LoadBalanceMethod, 'hash'> | undefined;
  /** upstream-hash-by: consistent hashing on this nginx expression; wins over `method`. */
  hashBy: string | undefined;
}

/** Variables that make sense as a hash key; `http_*`, `cookie_*` and `arg_*` families by name. */
const HASH_VARIABLES = new Set([
  'request_uri', 'uri', 'document_uri', 'args', 'query_string', 'is_args', 'host', 'http_host', 'server_name', 'server_port',
  'scheme', 'request_method', 'remote_addr', 'binary_remote_addr', 'realip_remote_addr', 'proxy_protocol_addr', 'remote_user',
]);
const VARIABLE_FAMILY_RE = /^(http_[a-z0-9_]{1,64}|cookie_[A-Za-z0-9_]{1,64}|arg_[A-Za-z0-9_]{1,64})$/;

const HASH_TEXT_RE = /^[A-Za-z0-9_.:/,|-]*$/;

export function checkHashBy(value: string): string | undefined {
  if (value.length === 0 || value.length > 256) return 'must be 1 to 256 characters';
  if (!value.includes('$')) return 'must contain an nginx variable such as $request_uri, $binary_remote_addr or $http_x_user';
  const reason = checkVariableText(value, HASH_TEXT_RE, (n) => isAllowedVariable(n, HASH_VARIABLES, VARIABLE_FAMILY_RE));
  return reason ? `${reason} (allowed: $request_uri, $uri, $args, $host, $remote_addr, $binary_remote_addr, $http_NAME, $cookie_NAME, $arg_NAME and similar, joined by letters, digits and _.:/,|-)` : undefined;
}

declare module '../model/types.js' {
  interface FeatureValues {
    loadBalance: LoadBalanceAnnotation;
  }
}

export const loadBalanceFeature: Feature<LoadBalanceAnnotation> = {
  name: 'load-balance',
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
