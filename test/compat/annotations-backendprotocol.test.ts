// Replays kubernetes/ingress-nginx test/e2e/annotations/backendprotocol.go ("backend-protocol") as real
// requests through Portico's render pipeline and a real nginx. ingress-nginx asserts that its server block
// holds proxy_pass https://, grpc_pass grpc://, grpc_pass grpcs://, fastcgi_pass or ajp_pass; here each
// protocol is spoken for real: a TLS echo backend, h2c and h2-over-TLS gRPC-shaped backends, a FastCGI
// responder.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificate } from '../support/certs.js';
import { grpcCall, startGrpcBackend, type GrpcBackend } from '../support/grpc.js';
import { startEchoBackend, startFastcgiBackend, type Backend } from '../support/processes.js';
import { INGRESS_CLASS, serviceFor, startScenario, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';

describe('ingress-nginx annotations/backendprotocol.go', () => {
  let tlsEcho: Backend;
  let grpc: GrpcBackend;
  let grpcs: GrpcBackend;
  let fcgi: Backend;
  let plain: Backend;
  let s: Scenario;
  const protocolIngress = (name: string, protocol: string, service: string) =>
    singleIngress(name, `${name}.backendprotocol.foo.com`, service, { annotations: { [`${P}/backend-protocol`]: protocol } });

  beforeAll(async () => {
    const cert = await makeCertificate('backend.internal');
    const dir = await mkdtemp(join(tmpdir(), 'portico-compat-tls-'));
    await writeFile(join(dir, 'cert.pem'), cert.cert);
    await writeFile(join(dir, 'key.pem'), cert.key);
    tlsEcho = await startEchoBackend('tls-echo', '127.0.0.1', { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') });
    grpc = await startGrpcBackend('grpc');
    grpcs = await startGrpcBackend('grpcs', cert);
    fcgi = await startFastcgiBackend('fcgi');
    plain = await startEchoBackend('plain-echo');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'tls-echo', [tlsEcho]),
      ...serviceFor('default', 'grpc', [grpc]),
      ...serviceFor('default', 'grpcs', [grpcs]),
      ...serviceFor('default', 'fcgi', [fcgi]),
      ...serviceFor('default', 'plain-echo', [plain]),
      protocolIngress('auto', 'AUTO_HTTP', 'plain-echo'),
      protocolIngress('https', 'HTTPS', 'tls-echo'),
      protocolIngress('grpc', 'GRPC', 'grpc'),
      protocolIngress('grpcs', 'GRPCS', 'grpcs'),
      protocolIngress('fcgi', 'FCGI', 'fcgi'),
      protocolIngress('ajp', 'AJP', 'tls-echo'),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    for (const b of [tlsEcho, grpc, grpcs, fcgi, plain]) await b?.stop();
  });

  // It("should set backend protocol to https:// and use proxy_pass")
  test('should set backend protocol to https:// and use proxy_pass', async () => {
    const r = await s.get('https.backendprotocol.foo.com', '/some/path');
    const echo = r.echo as unknown as { service: string; tls?: boolean; path: string };
    expect([r.status, echo.service, echo.tls, echo.path]).toEqual([200, 'tls-echo', true, '/some/path']);
  });

  // It("should set backend protocol to $scheme:// and use proxy_pass"). Difference (README): ingress-nginx writes
  // `proxy_pass $scheme://…`, so a request that came over https goes to the backend over https; Portico's
  // AUTO_HTTP is plain HTTP whichever scheme the client used.
  test('should set backend protocol to $scheme:// and use proxy_pass', async () => {
    for (const r of [await s.get('auto.backendprotocol.foo.com', '/a'), await s.getTls('auto.backendprotocol.foo.com', '/a')]) {
      const echo = r.echo as unknown as { service: string; tls?: boolean; path: string };
      expect([r.status, echo.service, echo.tls ?? false, echo.path]).toEqual([200, 'plain-echo', false, '/a']);
    }
  });

  // It("should set backend protocol to grpc:// and use grpc_pass")
  test('should set backend protocol to grpc:// and use grpc_pass', async () => {
    const r = await grpcCall(s.httpsPort, 'grpc.backendprotocol.foo.com', '/echo.v1.Echo/Say');
    expect(r).toEqual({ status: 200, message: 'grpc', grpcStatus: '0' });
    expect(grpc.seen).toContainEqual({ path: '/echo.v1.Echo/Say', tls: false });
  });

  // It("should set backend protocol to grpcs:// and use grpc_pass")
  test('should set backend protocol to grpcs:// and use grpc_pass', async () => {
    const r = await grpcCall(s.httpsPort, 'grpcs.backendprotocol.foo.com', '/echo.v1.Echo/Say');
    expect(r).toEqual({ status: 200, message: 'grpcs', grpcStatus: '0' });
    expect(grpcs.seen).toContainEqual({ path: '/echo.v1.Echo/Say', tls: true });
  });

  // It("should set backend protocol to '' and use fastcgi_pass")
  test("should set backend protocol to '' and use fastcgi_pass", async () => {
    const r = await s.get('fcgi.backendprotocol.foo.com', '/index.php?a=1');
    expect(r.status).toBe(200);
    const reply = JSON.parse(r.body) as { params: Record<string, string> };
    expect([reply.params.REQUEST_URI, reply.params.QUERY_STRING]).toEqual(['/index.php?a=1', 'a=1']);
  });

  // It("should set backend protocol to '' and use ajp_pass")
  // Difference: ajp_pass needs a third-party nginx module (nginx_ajp_module) that Debian's nginx does not
  // ship; Portico rejects backend-protocol AJP naming the annotation rather than serving it as something else.
  test("should set backend protocol to '' and use ajp_pass (Difference: rejected)", async () => {
    const rejection = s.model.rejections.find((r) => r.ingress.name === 'ajp');
    expect(rejection?.field).toContain('backend-protocol');
    expect(rejection?.reason).toMatch(/HTTP, HTTPS, GRPC, GRPCS, FCGI/);
    expect((await s.get('ajp.backendprotocol.foo.com', '/')).status).toBe(404);
  });
});
