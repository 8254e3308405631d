// Generates a realistic set of manifests for the benchmarks: N Ingresses, each with its own Service and
// EndpointSlice, spread over namespaces; some with TLS (one real wildcard certificate, reused through one
// Secret per namespace), some with rewrite-target and use-regex. One file per Ingress (with its Service
// and EndpointSlice), so a benchmark can change one Ingress by rewriting one file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DOMAIN = 'bench.example';
export const NAMESPACES = 10;
const PREFIX = 'nginx.ingress.kubernetes.io';

let certCache;
/** One real self-signed certificate for *.bench.example (openssl, RSA 2048), made once per run. */
export function wildcardCert() {
  if (certCache) return certCache;
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-cert-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30',
    '-subj', `/CN=*.${DOMAIN}`, '-addext', `subjectAltName=DNS:*.${DOMAIN},DNS:${DOMAIN}`,
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  certCache = { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  return certCache;
}

export function nsOf(i) {
  return `team-${i % NAMESPACES}`;
}

export function hostOf(i) {
  return `app-${i}.${DOMAIN}`;
}

/** What kind of Ingress number i is: the mix is fixed so every run renders the same objects. */
export function kindOf(i) {
  if (i % 10 === 3) return 'tls';
  if (i % 10 === 6) return 'rewrite';
  if (i % 10 === 8) return 'regex';
  return 'plain'; // 7 in 10, one of which (i % 10 === 5) with a source-range allowlist
}

function yamlQuote(s) {
  return JSON.stringify(String(s));
}

/** Ingress i with its Service and EndpointSlice, as YAML text. `version` changes what the route says. */
export function ingressYaml(i, { backendPort = 8080, version = 0, endpoints = 2 } = {}) {
  const ns = nsOf(i);
  const name = `app-${i}`;
  const kind = kindOf(i);
  const annotations = {};
  let paths;
  if (kind === 'rewrite') {
    annotations[`${PREFIX}/rewrite-target`] = '/$2';
    annotations[`${PREFIX}/use-regex`] = 'true';
    paths = [
      ['/api(/|$)(.*)', 'ImplementationSpecific'],
      ['/v2/static(/|$)(.*)', 'ImplementationSpecific'],
    ];
  } else if (kind === 'regex') {
    annotations[`${PREFIX}/use-regex`] = 'true';
    paths = [
      ['/users/[0-9]+', 'ImplementationSpecific'],
      ['/assets/.+\\.(css|js)', 'ImplementationSpecific'],
      ['/', 'Prefix'],
    ];
  } else {
    paths = [
      ['/', 'Prefix'],
      ['/api', 'Prefix'],
      ['/static', 'Prefix'],
      ['/healthz', 'Exact'],
    ];
  }
  // The version lives in a path: a changed Ingress answers on a new route (and the old one goes).
  // A changed Ingress (version > 0) gains a second host, v<version>.app-<i>.bench.example: before the
  // change that host falls to the default server (404), after it the route answers 200.
  const extraRule = version > 0
    ? `    - host: ${yamlQuote(`v${version}.${hostOf(i)}`)}\n      http:\n        paths:\n          - path: "/"\n            pathType: Prefix\n            backend:\n              service:\n                name: ${name}\n                port:\n                  number: 80\n`
    : '';
  // Some plain Ingresses restrict their clients (127.0.0.1 stays allowed, so every route answers the benchmarks).
  if (i % 10 === 5) annotations[`${PREFIX}/whitelist-source-range`] = '10.0.0.0/8,192.168.0.0/16,127.0.0.1/32';
  const annLines = Object.entries(annotations).map(([k, v]) => `    ${k}: ${yamlQuote(v)}`).join('\n') || '    {}';
  const pathLines = paths
    .map(([p, t]) => `          - path: ${yamlQuote(p)}\n            pathType: ${t}\n            backend:\n              service:\n                name: ${name}\n                port:\n                  number: 80`)
    .join('\n');
  const tls = kind === 'tls' ? `  tls:\n    - hosts: [${yamlQuote(hostOf(i))}]\n      secretName: bench-tls\n` : '';
  const eps = Array.from({ length: endpoints }, () => `  - addresses: ["127.0.0.1"]\n    conditions: {ready: true}`).join('\n');
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: ${ns}
  creationTimestamp: "2026-01-01T00:00:00Z"
  annotations:
${annLines}
spec:
  ingressClassName: portico
${tls}  rules:
    - host: ${yamlQuote(hostOf(i))}
      http:
        paths:
${pathLines}
${extraRule}---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  ports:
    - name: http
      port: 80
      targetPort: ${backendPort}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-abcde
  namespace: ${ns}
  labels:
    kubernetes.io/service-name: ${name}
addressType: IPv4
ports:
  - name: http
    port: ${backendPort}
endpoints:
${eps}
`;
}

/** `cert` lets a caller reuse one certificate across runs (scripts/render-compare compares outputs byte for byte). */
export function commonYaml(c = wildcardCert()) {
  const crt = Buffer.from(c.cert).toString('base64');
  const key = Buffer.from(c.key).toString('base64');
  const parts = [
    `apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: portico\nspec:\n  controller: portico.dev/ingress-controller\n`,
  ];
  for (let n = 0; n < NAMESPACES; n++) {
    parts.push(`apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata:\n  name: bench-tls\n  namespace: team-${n}\ndata:\n  tls.crt: ${crt}\n  tls.key: ${key}\n`);
  }
  return parts.join('---\n');
}

export function ingressFile(dir, i) {
  return join(dir, `ingress-${String(i).padStart(5, '0')}.yaml`);
}

/** Writes common.yaml and N ingress files into dir (created). */
export function writeManifests(dir, n, opts = {}) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '00-common.yaml'), commonYaml());
  for (let i = 0; i < n; i++) writeFileSync(ingressFile(dir, i), ingressYaml(i, opts));
  return dir;
}
