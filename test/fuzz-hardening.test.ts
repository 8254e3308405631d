import { beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { KubeObject } from '../src/store/types.js';
import { nginxTest, tempWorkDir } from './support/nginx.js';
import { INGRESS_CLASS } from './support/scenario.js';

/**
 * Issue 11's fuzz target: random regexes (from a grammar with the nasty constructs in it), random hosts,
 * and (slots below) certificates and ConfigMap values, through the built `portico render` as a child
 * process with a kill timeout. Every run must finish, exit 0 or 3, and write a config nginx -t accepts.
 * Seeded: the seed is in the test name and in every failure message; FUZZ_SEED=N reruns one, FUZZ_RUNS=N
 * runs more.
 */
const CLI = resolve('dist/cli/main.js');
const P = 'nginx.ingress.kubernetes.io';
/** A render of 40 Ingresses takes well under a second; a hang is killed long before jest's timeout. */
const RENDER_KILL_MS = 20_000;
const RUNS = Number(process.env.FUZZ_RUNS ?? 10);
const INGRESSES_PER_RUN = 40;

/** xorshift32: small, seedable, good enough to pick grammar branches. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

// ---- regexes --------------------------------------------------------------------------------------
const LITERALS = ['a', 'b', 'x', 'A', '0', '9', '-', '_', '~', '%', '/', '.', '=', ':', '@', '!', '&', ','];
/** Literals only a header pattern may hold; in a path they are refused. */
const HEADER_LITERALS = [' ', "'", '<', '>', '`'];
const ESCAPES = ['\\d', '\\w', '\\s', '\\D', '\\W', '\\S', '\\.', '\\/', '\\-', '\\(', '\\[', '\\]', '\\{', '\\}', '\\\\', '\\$', '\\_', '\\%'];
/** What PCRE2 refuses or reads differently: back-references, \u, \x{}, \N, \c, \b, \Q, \p, \k. */
const BAD_ESCAPES = ['\\1', '\\9', '\\g1', '\\u0041', '\\x41', '\\x{110000}', '\\N{U+41}', '\\c', '\\b', '\\Q', '\\E', '\\p{L}', '\\k<n>', '\\K', '\\R', '\\0'];
const CLASSES = ['[a-z]', '[^/]', '[0-9]', '[a-z0-9_.-]', '[-a]', '[a-]', '[\\w-]', '[\\]]', '[^a-c]'];
const BAD_CLASSES = ['[]', '[^]', '[z-a]', '[\\d-z]', '[\\w-.]', '[[:alpha:]]', '[[:x:]]', '[a', '[]a]', '[^]a]'];
const QUANTIFIERS = ['*', '+', '?', '*?', '+?', '??', '{2}', '{1,3}', '{0,}', '{3,}', '{255}'];
const BAD_QUANTIFIERS = ['{,3}', '{256}', '{65536}', '{99999}', '{3,2}', '*+', '++', '**', '{'];
const BAD_GROUP_OPENERS = ['(?=', '(?!', '(?<=', '(?<n>', '(?P<n>', '(?i)', '(?#', '(*FAIL)', '(?|'];
/** Whole constructs known to backtrack catastrophically or polynomially. */
const NASTY = ['(a+)+', '(a*)*', '(a|aa)+', '(a|a)*', '(.*)*', '(\\w|\\d)+', '.*.*.*', '(x.*y)+', 'a?a?a?a?a?a?a?a?a?a?aaaaaaaaaa', '(.*a){12}', '\\d+\\d+x', '.*a.*b.*c'];
/** How often a generated piece is one nginx or the analysis must refuse: about one regex in two. */
const BAD_RATE = 0.025;

function regexAtom(r: Rand, depth: number): string {
  const roll = r();
  if (roll < BAD_RATE) return pick(r, [...BAD_ESCAPES, ...BAD_CLASSES]);
  if (roll < 2 * BAD_RATE) return pick(r, NASTY);
  if (roll < 2.5 * BAD_RATE) return pick(r, ['^', '$', '|', ')', '(', ']', '}', '{', '*']); // stray syntax
  if (roll < 0.45) return pick(r, r() < 0.03 ? HEADER_LITERALS : LITERALS);
  if (roll < 0.55) return '.';
  if (roll < 0.65) return pick(r, ESCAPES);
  if (roll < 0.8 || depth > 3) return pick(r, CLASSES);
  const open = r() < BAD_RATE * 2 ? pick(r, BAD_GROUP_OPENERS) : pick(r, ['(', '(?:']);
  return `${open}${randomRegexBody(r, depth + 1)}${r() < BAD_RATE ? '' : ')'}`;
}

function quantifier(r: Rand): string {
  const roll = r();
  if (roll < BAD_RATE) return pick(r, BAD_QUANTIFIERS);
  return roll < 0.3 ? pick(r, QUANTIFIERS) : '';
}

function randomRegexBody(r: Rand, depth = 0): string {
  const branches = r() < 0.2 ? int(r, 2, 3) : 1;
  const out: string[] = [];
  for (let b = 0; b < branches; b++) {
    let s = '';
    for (let i = int(r, 1, 5); i > 0; i--) s += regexAtom(r, depth) + quantifier(r);
    out.push(s);
  }
  return out.join('|');
}

/** A regex path: mostly a plausible prefix, then the random part; sometimes very long. */
function randomRegexPath(r: Rand): string {
  const body = randomRegexBody(r);
  if (r() < 0.05) return `/${body.repeat(int(r, 20, 300))}`; // long patterns, up to and beyond the 2,048 limit
  return `${pick(r, ['/', '/api/', '/v1/', '/files/', '/a'])}${body}`;
}

function randomHeaderPattern(r: Rand): string {
  return `${r() < 0.4 ? '^' : ''}${randomRegexBody(r)}${r() < 0.3 ? '$' : ''}`;
}

// ---- hosts ----------------------------------------------------------------------------------------
const HOST_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-';
const ODD_HOST_CHARS = ['A', '_', '.', '..', '-', '*', ' ', 'é', 'ｓ', '\u0000', '"', ';', '{', '$', '/', ':', '1.2.3.4', '::1', '\n'];

function label(r: Rand, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += HOST_CHARS[int(r, 0, HOST_CHARS.length - 1)];
  return s.replace(/^-|-$/g, 'x');
}

/** A host of up to 253 characters (sometimes more), mostly valid DNS names of every length, some odd. */
function randomHost(r: Rand, i: number): string {
  const target = r() < 0.5 ? int(r, 100, 253) : r() < 0.9 ? int(r, 5, 99) : int(r, 254, 300);
  const labels: string[] = [];
  let length = 0;
  while (length < target - 8) {
    const size = Math.min(63, int(r, 1, 63), target - length - 7);
    if (size < 1) break;
    labels.push(label(r, size));
    length += size + 1;
  }
  let host = `${labels.join('.')}.h${i}.test`.replace(/^\./, '');
  if (r() < 0.15) host = `*.${host}`;
  if (r() < 0.1) {
    const at = int(r, 0, host.length);
    host = host.slice(0, at) + pick(r, ODD_HOST_CHARS) + host.slice(at);
  }
  if (r() < 0.05) host = host.toUpperCase();
  return host;
}

// ---- certificates ---------------------------------------------------------------------------------
/**
 * PEM pieces made once by openssl (beforeAll), recombined per Secret: good pairs, and what nginx refuses
 * while a naive check passes it (an extra key in tls.crt, a corrupt or truncated chain block, a key of
 * another certificate, RSA 1024 below Debian's security level 2, text around the blocks, an encrypted key).
 */
interface PemPool {
  pairs: Array<{ cert: string; key: string }>;
  weak: { cert: string; key: string };
  encryptedKey: string;
}
let pem: PemPool | undefined;

async function makePemPool(dir: string): Promise<PemPool> {
  const pair = async (name: string, keyArgs: string[]): Promise<{ cert: string; key: string }> => {
    const keyFile = join(dir, `${name}.key`);
    const certFile = join(dir, `${name}.crt`);
    await execa('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-sha256', '-days', '30', '-subj', `/CN=${name}.fuzz.test`, '-keyout', keyFile, '-out', certFile]);
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  const pairs = [await pair('a', ec), await pair('b', ec), await pair('c', ['-newkey', 'rsa:2048'])];
  const weak = await pair('weak', ['-newkey', 'rsa:1024']);
  const encrypted = await execa('openssl', ['pkey', '-aes256', '-passout', 'pass:fuzz'], { input: pairs[0]!.key });
  return { pairs, weak, encryptedKey: encrypted.stdout };
}

/** One PEM block with a byte of its base64 changed, or cut short. */
function damaged(r: Rand, block: string): string {
  const lines = block.trim().split('\n');
  const body = int(r, 1, Math.max(1, lines.length - 2));
  if (r() < 0.5) return [...lines.slice(0, body), ...lines.slice(-1)].join('\n'); // truncated
  const line = lines[body]!;
  const at = int(r, 0, Math.max(0, line.length - 1));
  lines[body] = line.slice(0, at) + pick(r, ['!', '*', 'A', '=', '']) + line.slice(at + 1);
  return lines.join('\n');
}

function randomTlsData(r: Rand, pool: PemPool): { 'tls.crt': string; 'tls.key': string } {
  const own = pick(r, pool.pairs);
  const other = pick(r, pool.pairs.filter((p) => p !== own));
  switch (int(r, 0, 11)) {
    case 0: return { 'tls.crt': own.cert + own.key, 'tls.key': own.key }; // an extra private key in tls.crt
    case 1: return { 'tls.crt': own.cert + damaged(r, other.cert), 'tls.key': own.key }; // a corrupt chain
    case 2: return { 'tls.crt': damaged(r, own.cert), 'tls.key': own.key };
    case 3: return { 'tls.crt': own.cert, 'tls.key': other.key }; // a key of another certificate
    case 4: return { 'tls.crt': pool.weak.cert, 'tls.key': pool.weak.key }; // RSA 1024
    case 5: return { 'tls.crt': `subject=CN ${pick(r, ['x', ';', '{', '$host'])}\n${own.cert}trailing text\n`, 'tls.key': own.key };
    case 6: return { 'tls.crt': own.cert, 'tls.key': pool.encryptedKey };
    case 7: return { 'tls.crt': own.cert, 'tls.key': own.key + other.key }; // two keys
    case 8: return { 'tls.crt': pick(r, ['', 'not a certificate', own.cert.replace('CERTIFICATE', 'CERTIFICATE REQUEST')]), 'tls.key': own.key };
    case 9: return { 'tls.crt': own.cert + other.cert, 'tls.key': own.key }; // a chain (valid: the leaf matches)
    default: return { 'tls.crt': own.cert, 'tls.key': own.key };
  }
}

/** TLS Secrets to add to a run, named `fuzz-tls-N`; Ingresses refer to them by name. */
function randomCertificateSecrets(r: Rand, namespace: string): KubeObject[] {
  const pool = pem!;
  return Array.from({ length: int(r, 2, 6) }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `fuzz-tls-${i}`, namespace },
    type: 'kubernetes.io/tls',
    stringData: randomTlsData(r, pool),
  }) as KubeObject);
}

// ---- ConfigMap values -----------------------------------------------------------------------------
/** The keys of README's Global ConfigMap table, each with values of its own kind and some of every kind. */
const NUMBERS = ['-1', '0', '1', '2', '3', '4', '8', '100', '256', '65536', '1048577', '99999999999', '1.5', '0x10', ' 3', ''];
const SIZES = ['0', '1', '1k', '4k', '8k', '16K', '1m', '8m', '1024m', '1025m', '2048m', '1g', '16 k', 'k', '-1k'];
const SECONDS = ['0', '1', '5', '60', '60s', '1m', '1h', '3600', '-5', 'abc', '10ms'];
const BOOLS = ['true', 'false', 'TRUE', 'yes', '1', ''];
const CIPHERS = [
  'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384', 'HIGH:!aNULL:!MD5',
  'ECDHE-RSA-AES128-GCM-SHA265', 'NOPE:ALSO-NOPE', 'TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256',
  'DEFAULT@SECLEVEL=0', 'ALL:eNULL', '!ALL', 'RC4', '',
];
const HOSTILE = ['x;', 'a b', '{', '}', '"', '$host', 'x\ny', '#', "'", '\\', 'load_module /x.so'];
const CONFIG_KEYS: Record<string, readonly string[]> = {
  'worker-processes': ['auto', ...NUMBERS],
  'max-worker-connections': NUMBERS,
  'keep-alive': SECONDS,
  'server-tokens': BOOLS,
  hsts: BOOLS,
  'hsts-max-age': NUMBERS,
  'hsts-include-subdomains': BOOLS,
  'ssl-protocols': ['TLSv1.2', 'TLSv1.3', 'TLSv1.2 TLSv1.3', 'TLSv1', 'SSLv3', 'TLSv1.2  TLSv1.3', ''],
  'ssl-ciphers': CIPHERS,
  'upstream-keepalive-connections': NUMBERS,
  'upstream-keepalive-timeout': SECONDS,
  'whitelist-source-range': ['10.0.0.0/8', '127.0.0.1', '::1/128', '10.0.0.0/33', '0.0.0.0/0,::/0', 'x'],
  'denylist-source-range': ['192.0.2.0/24', '2001:db8::/129', '1.2.3.4,5.6.7.8'],
  'ssl-redirect': BOOLS,
  'force-ssl-redirect': BOOLS,
  'use-port-in-redirects': BOOLS,
  'http-redirect-code': ['301', '302', '307', '308', '200', '500', 'x'],
  'proxy-body-size': SIZES,
  'proxy-connect-timeout': SECONDS,
  'proxy-send-timeout': SECONDS,
  'proxy-read-timeout': SECONDS,
  'proxy-buffering': ['on', 'off', 'true', 'x'],
  'proxy-buffer-size': SIZES,
  'proxy-buffers-number': NUMBERS,
  'proxy-request-buffering': ['on', 'off', 'x'],
  'proxy-next-upstream': ['error timeout', 'error timeout http_502', 'off', 'http_999', 'non_idempotent'],
  'proxy-next-upstream-tries': NUMBERS,
  'proxy-next-upstream-timeout': SECONDS,
  'custom-http-errors': ['404,503', '404', '99', '600', '404,,503', 'x'],
  'use-forwarded-headers': BOOLS,
  'enable-real-ip': BOOLS,
  'forwarded-for-header': ['X-Forwarded-For', 'X-Real-IP', 'X Bad', ''],
  'proxy-real-ip-cidr': ['10.0.0.0/8', '0.0.0.0/0', '10.0.0.0/99', 'x'],
  'compute-full-forwarded-for': BOOLS,
  'use-proxy-protocol': BOOLS,
  'load-balance': ['round_robin', 'ewma', 'least_conn', 'x'],
  'service-upstream': BOOLS,
  'proxy-ssl-location-only': BOOLS,
  'hsts-preload': BOOLS,
  'disable-ipv6': BOOLS,
};

/** Data for the ConfigMap passed with --configmap: a few keys, mostly values of their kind, some of any kind. */
function randomConfigMapData(r: Rand): Record<string, string> {
  const keys = Object.keys(CONFIG_KEYS);
  const data: Record<string, string> = {};
  for (let i = int(r, 0, 8); i > 0; i--) {
    const key = pick(r, keys);
    const roll = r();
    data[key] = roll < 0.75 ? pick(r, CONFIG_KEYS[key]!) : roll < 0.9 ? pick(r, [...NUMBERS, ...SIZES, ...SECONDS, ...CIPHERS]) : pick(r, HOSTILE);
  }
  return data;
}

// ---- one run ----------------------------------------------------------------------------------------
const NAMESPACE = 'fuzz';

function service(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'app', namespace: NAMESPACE }, spec: { ports: [{ port: 80 }] } } as KubeObject,
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'app-1', namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': 'app' } },
      addressType: 'IPv4',
      ports: [{ port: 8080 }],
      endpoints: [{ addresses: ['127.0.0.1'] }],
    } as KubeObject,
  ];
}

function fuzzIngress(name: string, host: string, paths: Array<{ path: string; pathType: string }>, annotations: Record<string, string>, tlsSecret?: string): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NAMESPACE, annotations, creationTimestamp: `2026-01-01T00:00:${String(paths.length).padStart(2, '0')}Z` },
    spec: {
      ingressClassName: 'portico',
      tls: tlsSecret ? [{ hosts: [host], secretName: tlsSecret }] : undefined,
      rules: [{ host, http: { paths: paths.map((p) => ({ ...p, backend: { service: { name: 'app', port: { number: 80 } } } })) } }],
    },
  } as KubeObject;
}

function manifestsFor(seed: number): KubeObject[] {
  const r = prng(seed);
  const secrets = randomCertificateSecrets(r, NAMESPACE);
  const objects: KubeObject[] = [INGRESS_CLASS, ...service(), ...secrets];
  objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'portico', namespace: NAMESPACE }, data: randomConfigMapData(r) } as KubeObject);
  for (let i = 0; i < INGRESSES_PER_RUN; i++) {
    const host = randomHost(r, i % 10);
    const annotations: Record<string, string> = { [`${P}/use-regex`]: 'true' };
    if (r() < 0.3) annotations[`${P}/rewrite-target`] = '/$1';
    if (r() < 0.2) annotations[`${P}/from-to-www-redirect`] = 'true';
    const paths = [{ path: randomRegexPath(r), pathType: pick(r, ['Prefix', 'ImplementationSpecific']) }];
    // An Exact path with a trailing slash makes the model ask which regex serves the slash-less form.
    if (r() < 0.6) paths.push({ path: `/${'a'.repeat(int(r, 1, 60))}${pick(r, ['!', 'b', '', 'x'])}/`, pathType: 'Exact' });
    const tls = secrets.length > 0 && r() < 0.3 ? pick(r, secrets).metadata!.name : undefined;
    objects.push(fuzzIngress(`i${i}`, host, paths, annotations, tls));
    if (r() < 0.3) {
      objects.push(
        fuzzIngress(`i${i}-canary`, host, [paths[0]!], {
          [`${P}/use-regex`]: 'true',
          [`${P}/canary`]: 'true',
          [`${P}/canary-by-header`]: 'X-Canary',
          [`${P}/canary-by-header-pattern`]: randomHeaderPattern(r),
        }),
      );
    }
  }
  return objects;
}

const FIRST_SEED = Number(process.env.FUZZ_SEED ?? 11_000);
const SEEDS = process.env.FUZZ_SEED ? [FIRST_SEED] : Array.from({ length: RUNS }, (_, i) => FIRST_SEED + i);

describe(`fuzzing regexes, hosts, certificates and ConfigMap values through portico render (${SEEDS.length} × ${INGRESSES_PER_RUN} Ingresses)`, () => {
  beforeAll(async () => {
    pem = await makePemPool(await tempWorkDir('portico-fuzz-pem-'));
  }, 60_000);

  test.each(SEEDS)('seed %i: render finishes, exits 0 or 3, and nginx -t accepts the config', async (seed) => {
    const objects = manifestsFor(seed);
    const dir = await tempWorkDir('portico-fuzz-hardening-');
    const file = join(dir, 'manifests.yaml');
    await writeFile(file, objects.map((o) => JSON.stringify(o)).join('\n---\n'));
    const state = join(dir, 'state');
    const out = join(dir, 'nginx.conf');
    const args = ['render', '--manifests', file, '--state-dir', state, '--configmap', `${NAMESPACE}/portico`, '--out', out];
    // Every other run serves a random Secret as the default certificate too (fuzz-tls-0 always exists).
    if (seed % 2 === 0) args.push('--default-ssl-certificate', `${NAMESPACE}/fuzz-tls-0`);
    const r = await execa('node', [CLI, ...args], { reject: false, timeout: RENDER_KILL_MS, killSignal: 'SIGKILL' });
    const context = `seed ${seed} (rerun with FUZZ_SEED=${seed}); manifests in ${file}`;
    expect([context, r.timedOut]).toEqual([context, false]);
    const exit = r.exitCode === 0 || r.exitCode === 3 ? 'exit 0 or 3' : `exit ${r.exitCode}: ${r.stderr.slice(-2000)}`;
    expect([context, exit]).toEqual([context, 'exit 0 or 3']);
    const accepted = await readFile(out, 'utf8');
    const check = await nginxTest(state, out).then(
      () => 'nginx -t ok',
      (err: Error) => err.message,
    );
    expect([context, check]).toEqual([context, 'nginx -t ok']);
    // Something got through each run: the test would prove little if everything were rejected.
    expect([context, /location ~\*/.test(accepted)]).toEqual([context, true]);
  });
});
