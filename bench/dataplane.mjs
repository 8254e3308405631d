// Benchmark 4: requests/s and p99 through Portico's rendered config for a plain route, against a minimal
// hand-written nginx.conf proxying to the same backend with upstream keepalive, and against the backend
// reached directly. The backend is nginx itself (one worker, `return 200 "ok"`, no log), so it is never the
// bottleneck. The three are measured in alternation, several rounds, medians compared.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, freePort, getStatus, median, run, startBackend, startNginx, tempDir, QUICK } from './lib/proc.mjs';
import { startController } from './lib/controller.mjs';
import { wrk } from './lib/wrk.mjs';

const HOST = 'plain.bench.example';

function manifests(backendPort) {
  return `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: portico}
spec: {controller: portico.dev/ingress-controller}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: plain, namespace: bench}
spec:
  ingressClassName: portico
  rules:
    - host: ${HOST}
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: plain, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: plain, namespace: bench}
spec: {ports: [{name: http, port: 80, targetPort: ${backendPort}}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: plain-1, namespace: bench, labels: {kubernetes.io/service-name: plain}}
addressType: IPv4
ports: [{name: http, port: ${backendPort}}]
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
`;
}

/**
 * What a person would write by hand: same worker count as Portico (auto), upstream keepalive, HTTP/1.1
 * upstream with an empty Connection header, and nginx's default access log (combined format) left on, as
 * Portico leaves its own on.
 */
function handWritten(dir, port, backendPort) {
  return `worker_processes auto;
pid ${dir}/nginx.pid;
events { worker_connections 16384; }
http {
    access_log ${dir}/logs/access.log;
    client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
    upstream backend {
        server 127.0.0.1:${backendPort};
        keepalive 64;
    }
    server {
        listen ${port};
        server_name ${HOST};
        location / {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_pass http://backend;
        }
    }
}
`;
}

export async function dataplaneBench(log) {
  const backend = await startBackend();
  const stops = [backend.stop];
  try {
    // Portico: the real CLI renders the config, nginx runs it unchanged.
    const pDir = tempDir('dp-portico');
    const pPort = await freePort();
    mkdirSync(join(pDir, 'manifests'), { recursive: true });
    writeFileSync(join(pDir, 'manifests', 'plain.yaml'), manifests(backend.port));
    const pConf = join(pDir, 'state', 'nginx.conf');
    const r = await run('node', [CLI, 'render', '--manifests', join(pDir, 'manifests'), '--state-dir', join(pDir, 'state'), '--http-port', String(pPort), '--https-port', String(await freePort()), '--out', pConf]);
    if (r.code !== 0) throw new Error(`portico render failed: ${r.stderr}`);
    const portico = await startNginx(join(pDir, 'state'), pConf, pPort);
    stops.push(portico.stop);

    // Portico as `portico run --dynamic-endpoints` serves it: a Lua balancer on the upstream.
    const ctl = await startController({ manifests: join(pDir, 'manifests'), base: tempDir('dp-run'), args: ['--dynamic-endpoints'] });
    stops.push(() => ctl.stop());

    const hDir = tempDir('dp-hand');
    const hPort = await freePort();
    mkdirSync(join(hDir, 'logs'), { recursive: true });
    writeFileSync(join(hDir, 'nginx.conf'), handWritten(hDir, hPort, backend.port));
    const hand = await startNginx(hDir, join(hDir, 'nginx.conf'), hPort);
    stops.push(hand.stop);

    for (const [name, port] of [['portico', pPort], ['run', ctl.httpPort], ['hand-written', hPort], ['direct', backend.port]]) {
      const s = await getStatus(port, HOST, '/');
      if (s !== 200) throw new Error(`${name} answers ${s}, not 200`);
    }

    const targets = { portico: pPort, run: ctl.httpPort, hand: hPort, direct: backend.port };
    const results = { portico: [], run: [], hand: [], direct: [] };
    const rounds = QUICK ? 1 : 3;
    const seconds = QUICK ? 3 : 5;
    // Warm-up (fills upstream keepalive pools), then alternating rounds.
    for (const port of Object.values(targets)) await wrk({ port, host: HOST, seconds: 1, connections: 50 });
    for (let i = 0; i < rounds; i++) {
      for (const [k, port] of Object.entries(targets)) {
        const w = await wrk({ port, host: HOST, seconds, connections: 50 });
        if (w.non2xx > 0 || w.errorCount > 0) log(`  data plane ${k}: ${w.non2xx} non-2xx, ${w.errorCount} socket errors`);
        results[k].push(w);
      }
    }
    const m = (k, f) => median(results[k].map((w) => w[f]));
    const fig = Object.fromEntries(Object.keys(targets).map((k) => [k, { rps: m(k, 'rps'), p99: m(k, 'p99') }]));
    log(
      `data plane req/s: portico render ${fig.portico.rps.toFixed(0)}, portico run --dynamic-endpoints ${fig.run.rps.toFixed(0)}, hand-written ${fig.hand.rps.toFixed(0)}, direct ${fig.direct.rps.toFixed(0)}; ` +
        `p99 ms: ${fig.portico.p99}, ${fig.run.p99}, ${fig.hand.p99}, ${fig.direct.p99}`,
    );
    const conn = `wrk -t1 -c50, ${rounds}×${seconds}s`;
    return [
      { bench: '4. data plane', figure: `req/s, plain route, \`portico render\` config (${conn})`, value: fig.portico.rps, unit: 'req/s', baselineName: 'hand-written nginx.conf', baseline: fig.hand.rps, goal: '≥ 0.95×', pass: fig.portico.rps >= 0.95 * fig.hand.rps },
      { bench: '4. data plane', figure: 'p99 latency, plain route, `portico render` config', value: fig.portico.p99, unit: 'ms', baselineName: 'hand-written nginx.conf', baseline: fig.hand.p99, goal: '—' },
      { bench: '4. data plane', figure: 'req/s, plain route, `portico run --dynamic-endpoints` (Lua balancer; off by default)', value: fig.run.rps, unit: 'req/s', baselineName: 'hand-written nginx.conf', baseline: fig.hand.rps, goal: '—' },
      { bench: '4. data plane', figure: 'p99 latency, plain route, `portico run --dynamic-endpoints`', value: fig.run.p99, unit: 'ms', baselineName: 'hand-written nginx.conf', baseline: fig.hand.p99, goal: '—' },
      { bench: '4. data plane', figure: 'req/s, plain route', value: fig.portico.rps, unit: 'req/s', baselineName: 'backend direct', baseline: fig.direct.rps, goal: '—' },
      { bench: '4. data plane', figure: 'p99 latency, plain route', value: fig.portico.p99, unit: 'ms', baselineName: 'backend direct', baseline: fig.direct.p99, goal: '—' },
    ];
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}
