// Behaviour-preservation check for refactors (issue 13): renders the examples, the bench's generated
// manifests (1,000 Ingresses), the public corpus (test/corpus, one cluster per file as test/corpus.test.ts
// renders it), the security corpus (test/fixtures/hostile-ingresses.ts) and scripts/render-compare/rich.yaml
// (every annotation family with valid values), in process from src/, and writes each nginx.conf and its
// warning/rejection lines. With --against DIR it compares with an earlier run, byte for byte.
//
//   node --import ./scripts/ts-loader.mjs scripts/render-compare.mjs --out /tmp/after [--against /tmp/before]
//
// Inputs that would differ between runs are fixed: the state dir, the file name key, the machine's
// IPv6 and modules, the resolvers, and the bench's certificate (made once, kept in --inputs).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const { values: args } = parseArgs({ options: { out: { type: 'string' }, against: { type: 'string' }, inputs: { type: 'string', default: '/tmp/portico-render-compare-inputs' }, only: { type: 'string' } } });
if (!args.out) {
  process.stderr.write('usage: node --import ./scripts/ts-loader.mjs scripts/render-compare.mjs --out DIR [--against DIR] [--only NAME-PREFIX]\n');
  process.exit(2);
}

const { buildModel } = await import(`${ROOT}/src/model/build.ts`);
const { DEFAULT_MODEL_OPTIONS } = await import(`${ROOT}/src/model/types.ts`);
const { compileRenderer } = await import(`${ROOT}/src/render/render.ts`);
const { loadTemplateSources } = await import(`${ROOT}/src/render/templates.ts`);
const { readManifests } = await import(`${ROOT}/src/sources/manifests.ts`);
const { withDefaultNamespace } = await import(`${ROOT}/src/sources/default-namespace.ts`);
const { snapshotFromObjects } = await import(`${ROOT}/src/store/snapshot.ts`);
const { rejectionLine, warningLine } = await import(`${ROOT}/src/report/messages.ts`);
const { hostileCases } = await import(`${ROOT}/test/fixtures/hostile-ingresses.ts`);
const gen = await import(`${ROOT}/bench/lib/gen.mjs`);

const STATE = '/var/lib/portico-render-compare';
const MODULES = '/usr/lib/nginx/modules';
const BASE = {
  ...DEFAULT_MODEL_OPTIONS,
  stateDir: STATE,
  resolvers: ['10.96.0.10'],
  ipv6: true,
  fileNameKey: 'render-compare',
  headersMoreModule: `${MODULES}/ngx_http_headers_more_filter_module.so`,
  setMiscModule: `${MODULES}/ngx_http_set_misc_module.so`,
};
const DYNAMIC = { statusPort: 10246, dynamicEndpoints: true, endpointPushDigest: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' };
const CORPUS_OPTIONS = { ingressClass: 'nginx', controllerClass: 'k8s.io/ingress-nginx', httpPort: 8080, httpsPort: 8443 };
const NGINX_INGRESS_CLASS = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: { ingressclass.kubernetes.io/is-default-class: "true" }
spec: { controller: k8s.io/ingress-nginx }
`;

function listFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(path));
    else if (/\.(ya?ml|json)$/.test(name)) out.push(path);
  }
  return out;
}

/** The bench's 1,000 Ingresses, with one certificate kept across runs. */
function benchManifests() {
  const dir = join(args.inputs, 'bench-1000');
  const certFile = join(args.inputs, 'bench-cert.json');
  if (!existsSync(certFile)) {
    mkdirSync(args.inputs, { recursive: true });
    writeFileSync(certFile, JSON.stringify(gen.wildcardCert()));
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '00-common.yaml'), gen.commonYaml(JSON.parse(readFileSync(certFile, 'utf8'))));
  for (let i = 0; i < 1000; i++) writeFileSync(gen.ingressFile(dir, i), gen.ingressYaml(i));
  return dir;
}

function scenarios() {
  const list = [
    { name: 'examples', manifests: [join(ROOT, 'examples')] },
    { name: 'examples-dynamic', manifests: [join(ROOT, 'examples')], options: DYNAMIC },
    { name: 'rich', manifests: [join(ROOT, 'scripts/render-compare/rich.yaml')], options: { configMap: 'ingress/portico', allowSnippetAnnotations: true } },
    { name: 'rich-dynamic', manifests: [join(ROOT, 'scripts/render-compare/rich.yaml')], options: { configMap: 'ingress/portico', allowSnippetAnnotations: true, ipv6: false, ...DYNAMIC } },
    { name: 'rich-no-configmap', manifests: [join(ROOT, 'scripts/render-compare/rich.yaml')] },
    { name: 'bench-1000', manifests: [benchManifests()] },
    { name: 'bench-1000-dynamic', manifests: [join(args.inputs, 'bench-1000')], options: DYNAMIC },
    { name: 'hostile', objects: hostileObjects(), options: { allowSnippetAnnotations: true } },
  ];
  const corpus = join(ROOT, 'test/corpus');
  const classFile = join(args.inputs, 'ingressclass-nginx.yaml');
  mkdirSync(args.inputs, { recursive: true });
  writeFileSync(classFile, NGINX_INGRESS_CLASS);
  for (const file of listFiles(corpus)) {
    const rel = relative(corpus, file);
    if (rel.split('/')[1] === 'support') continue;
    const support = join(corpus, rel.split('/')[0], 'support');
    list.push({ name: `corpus/${rel}`, manifests: [file, ...(existsSync(support) ? [support] : []), classFile], options: CORPUS_OPTIONS });
  }
  return list.filter((s) => !args.only || s.name.startsWith(args.only));
}

/** The security corpus with the Service its Ingresses name, as test/security.test.ts renders it. */
function hostileObjects() {
  const objects = hostileCases().map((c) => c.ingress);
  objects.push(
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'portico' }, spec: { controller: 'portico.dev/ingress-controller' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'app', namespace: 'corpus' }, spec: { ports: [{ port: 80, targetPort: 8080 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'app-x', namespace: 'corpus', labels: { 'kubernetes.io/service-name': 'app' } },
      addressType: 'IPv4', ports: [{ port: 8080 }], endpoints: [{ addresses: ['10.2.0.1'], conditions: { ready: true } }],
    },
  );
  return objects;
}

const renderer = compileRenderer(await loadTemplateSources(join(ROOT, 'templates')));
rmSync(args.out, { recursive: true, force: true });
let count = 0;
for (const s of scenarios()) {
  const objects = s.objects ?? withDefaultNamespace(await readManifests(s.manifests, () => undefined), 'default');
  const model = buildModel(snapshotFromObjects(objects), { ...BASE, ...(s.options ?? {}) });
  const text = renderer(model);
  const report = [...model.warnings.map(warningLine), ...model.rejections.map(rejectionLine)].join('\n');
  const dir = join(args.out, s.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'nginx.conf'), text);
  writeFileSync(join(dir, 'report.txt'), `${report}\n`);
  writeFileSync(join(dir, 'files.txt'), model.files.map((f) => `${f.path} ${f.mode.toString(8)} ${f.content.length}`).join('\n') + '\n');
  count++;
}
process.stdout.write(`rendered ${count} scenarios into ${args.out}\n`);
if (args.against) {
  try {
    execFileSync('diff', ['-r', '-q', args.against, args.out], { stdio: 'inherit' });
    process.stdout.write(`identical to ${args.against}\n`);
  } catch {
    process.stdout.write(`differs from ${args.against}: see diff -r ${args.against} ${args.out}\n`);
    process.exit(1);
  }
}
