// Benchmark 4b: the data-plane cost of ModSecurity with the OWASP Core Rule Set (blocking: SecRuleEngine On)
// against the same route without it, in one Portico config, one nginx: two hosts on the same backend, the
// second with enable-modsecurity, enable-owasp-core-rules and modsecurity-snippet "SecRuleEngine On". Measured
// in alternation, several rounds, medians compared (the ratio is the figure).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, freePort, getStatus, median, run, startBackend, startNginx, tempDir, QUICK } from './lib/proc.mjs';
import { wrk } from './lib/wrk.mjs';

const PLAIN = 'plain.waf.bench.example';
const WAF = 'waf.waf.bench.example';

function ingress(name, host, annotations) {
  const lines = Object.entries(annotations).map(([k, v]) => `    nginx.ingress.kubernetes.io/${k}: ${JSON.stringify(v)}`);
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: bench
${lines.length > 0 ? `  annotations:\n${lines.join('\n')}\n` : ''}spec:
  ingressClassName: portico
  rules:
    - host: ${host}
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
`;
}

function manifests(backendPort) {
  return [
    `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: portico}
spec: {controller: portico.dev/ingress-controller}
`,
    ingress('plain', PLAIN, {}),
    ingress('waf', WAF, { 'enable-modsecurity': 'true', 'enable-owasp-core-rules': 'true', 'modsecurity-snippet': 'SecRuleEngine On' }),
    `apiVersion: v1
kind: Service
metadata: {name: app, namespace: bench}
spec: {ports: [{name: http, port: 80, targetPort: ${backendPort}}]}
`,
    `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: app-1, namespace: bench, labels: {kubernetes.io/service-name: app}}
addressType: IPv4
ports: [{name: http, port: ${backendPort}}]
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
`,
  ].join('---\n');
}

export async function wafBench(log) {
  const backend = await startBackend();
  const stops = [backend.stop];
  try {
    const dir = tempDir('waf');
    const port = await freePort();
    mkdirSync(join(dir, 'manifests'), { recursive: true });
    writeFileSync(join(dir, 'manifests', 'waf.yaml'), manifests(backend.port));
    const conf = join(dir, 'state', 'nginx.conf');
    const r = await run('node', [CLI, 'render', '--manifests', join(dir, 'manifests'), '--state-dir', join(dir, 'state'), '--http-port', String(port), '--https-port', String(await freePort()), '--out', conf]);
    if (r.code !== 0) throw new Error(`portico render failed (is libnginx-mod-http-modsecurity installed?): ${r.stderr}`);
    const nginx = await startNginx(join(dir, 'state'), conf, port);
    stops.push(nginx.stop);
    // The firewall is really there: it blocks a script in the query on the WAF host only.
    const attack = '/?q=%3Cscript%3Ealert(1)%3C/script%3E';
    for (const [host, path, want] of [[PLAIN, '/', 200], [WAF, '/', 200], [PLAIN, attack, 200], [WAF, attack, 403]]) {
      const s = await getStatus(port, host, path);
      if (s !== want) throw new Error(`${host}${path} answers ${s}, not ${want}`);
    }
    const targets = { plain: PLAIN, waf: WAF };
    const results = { plain: [], waf: [] };
    const rounds = QUICK ? 1 : 3;
    const seconds = QUICK ? 3 : 5;
    for (const host of Object.values(targets)) await wrk({ port, host, seconds: 1, connections: 50 });
    for (let i = 0; i < rounds; i++) {
      for (const [k, host] of Object.entries(targets)) {
        const w = await wrk({ port, host, seconds, connections: 50 });
        if (w.non2xx > 0 || w.errorCount > 0) log(`  waf ${k}: ${w.non2xx} non-2xx, ${w.errorCount} socket errors`);
        results[k].push(w);
      }
    }
    const m = (k, f) => median(results[k].map((w) => w[f]));
    const fig = { plain: { rps: m('plain', 'rps'), p99: m('plain', 'p99') }, waf: { rps: m('waf', 'rps'), p99: m('waf', 'p99') } };
    log(`ModSecurity + CRS req/s: ${fig.waf.rps.toFixed(0)} vs ${fig.plain.rps.toFixed(0)} without (×${(fig.waf.rps / fig.plain.rps).toFixed(2)}); p99 ms: ${fig.waf.p99} vs ${fig.plain.p99}`);
    const conn = `wrk -t1 -c50, ${rounds}×${seconds}s`;
    return [
      { bench: '4b. data plane, WAF', figure: `req/s, GET /, ModSecurity + Core Rule Set, SecRuleEngine On (${conn})`, value: fig.waf.rps, unit: 'req/s', baselineName: 'same route without ModSecurity', baseline: fig.plain.rps, goal: '—' },
      { bench: '4b. data plane, WAF', figure: 'p99 latency, GET /, ModSecurity + Core Rule Set', value: fig.waf.p99, unit: 'ms', baselineName: 'same route without ModSecurity', baseline: fig.plain.p99, goal: '—' },
    ];
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}
