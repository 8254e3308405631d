import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:tls';
import type { KubeObject } from '../src/store/types.js';
import { makeCertificate, tlsSecret } from './support/certs.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

function tlsIngress(name: string, host: string, secretName: string | undefined, service: string, withTls = true): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'web' },
    spec: {
      ingressClassName: 'portico',
      tls: withTls ? [{ hosts: [host], secretName }] : undefined,
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] } }],
    },
  } as KubeObject;
}

describe('TLS', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('secure', 'broken', 'plain');
    const good = await makeCertificate('secure.test');
    const other = await makeCertificate('other.test');
    const mismatched = tlsSecret('web', 'mismatched', { cert: good.cert, key: other.key });
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('web', 'secure', [backends.by.secure!]),
      ...serviceFor('web', 'broken', [backends.by.broken!]),
      ...serviceFor('web', 'plain', [backends.by.plain!]),
      tlsSecret('web', 'secure-tls', good),
      mismatched,
      tlsIngress('secure', 'secure.test', 'secure-tls', 'secure'),
      tlsIngress('missing', 'missing.test', 'does-not-exist', 'broken'),
      tlsIngress('mismatch', 'mismatch.test', 'mismatched', 'broken'),
      tlsIngress('plain', 'plain.test', undefined, 'plain', false),
    ]);
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test('serves the certificate from the Ingress Secret by SNI', async () => {
    const r = await s.getTls('secure.test', '/hello');
    expect(r.status).toBe(200);
    expect(r.echo?.service).toBe('secure');
    expect(r.echo?.headers['x-forwarded-proto']).toBe('https');
    expect(r.peerCertificate?.subject?.CN).toBe('secure.test');
  });

  test('an unknown SNI name gets the default certificate and 404', async () => {
    const r = await s.getTls('nobody.test', '/');
    expect(r.status).toBe(404);
    expect(r.peerCertificate?.subject?.O).toBe('Portico');
  });

  test('a missing or invalid Secret falls back to the default certificate, with a warning, and still serves', async () => {
    for (const host of ['missing.test', 'mismatch.test']) {
      const r = await s.getTls(host, '/');
      expect([host, r.status, r.echo?.service, r.peerCertificate?.subject?.O]).toEqual([host, 200, 'broken', 'Portico']);
    }
    const messages = s.model.warnings.map((w) => w.message).join('\n');
    expect(messages).toMatch(/missing\.test: Secret web\/does-not-exist not found/);
    expect(messages).toMatch(/mismatch\.test: .*does not match/);
  });

  test('a host without TLS answers https with the default certificate, routed to its own backend, and loads no certificate of its own', async () => {
    const r = await s.getTls('plain.test', '/p');
    expect([r.status, r.echo?.service, r.echo?.path, r.peerCertificate?.subject?.O]).toEqual([200, 'plain', '/p', 'Portico']);
    expect((await s.get('plain.test', '/p')).status).toBe(200);
    const block = (host: string) => s.conf.slice(s.conf.indexOf(`server_name "${host}";`)).split('\n    }\n')[0]!;
    expect(block('plain.test')).not.toContain('ssl_certificate');
    expect(block('missing.test')).not.toContain('ssl_certificate');
    expect(block('secure.test')).toMatch(/ssl_certificate ".*\/certs\/web_secure-tls\.[0-9a-f]{16}\.pem";/);
  });

  test('plain http on a TLS host is redirected with 308 to https, keeping path and query (no port, as ingress-nginx)', async () => {
    const r = await s.get('secure.test', '/a/b?x=1');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('https://secure.test/a/b?x=1');
  });

  test('HSTS on https only, and TLS 1.2/1.3 only', async () => {
    expect((await s.getTls('secure.test', '/')).headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect((await s.get('secure.test', '/')).headers['strict-transport-security']).toBeUndefined();
    expect(s.conf).toMatch(/^\s*ssl_protocols TLSv1\.2 TLSv1\.3;$/m);
  });

  test('certificate files are written with mode 0600 under the state dir', async () => {
    const certFile = (await readdir(join(s.stateDir, 'certs'))).find((f) => f.startsWith('web_secure-tls.'))!;
    const info = await stat(join(s.stateDir, 'certs', certFile));
    expect(info.mode & 0o777).toBe(0o600);
    const selfSigned = await stat(join(s.stateDir, 'certs', 'default-selfsigned.pem'));
    expect(selfSigned.mode & 0o777).toBe(0o600);
  });
});

describe('--default-ssl-certificate', () => {
  let s: Scenario;
  afterAll(async () => s?.stop());

  test('serves the named Secret for hosts without a certificate of their own', async () => {
    const cert = await makeCertificate('default.portico.test');
    s = await startScenario([INGRESS_CLASS, tlsSecret('ops', 'wildcard', cert)], { defaultSslCertificate: 'ops/wildcard' });
    const r = await s.getTls('whatever.test', '/');
    expect(r.status).toBe(404);
    expect(r.peerCertificate?.subject?.CN).toBe('default.portico.test');
  });
});

describe('ConfigMap ssl-ciphers', () => {
  let s: Scenario;
  afterAll(async () => s?.stop());

  test('limits TLS 1.2 to the listed ciphers; an invalid list is a warning and the default stays', async () => {
    const cm = (value: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'portico', namespace: 'ops' }, data: { 'ssl-ciphers': value } }) as KubeObject;
    s = await startScenario([INGRESS_CLASS, cm('ECDHE-ECDSA-AES256-GCM-SHA384')], { configMap: 'ops/portico' });
    expect(s.conf).toContain('ssl_ciphers "ECDHE-ECDSA-AES256-GCM-SHA384";');
    const tls12 = (ciphers: string) =>
      new Promise<string>((resolve) => {
        const sock = connect({ port: s.httpsPort, host: '127.0.0.1', servername: 'x.test', rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers });
        sock.once('secureConnect', () => {
          resolve(sock.getCipher().name);
          sock.destroy();
        });
        sock.once('error', () => resolve('refused'));
      });
    expect(await tls12('ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256')).toBe('ECDHE-ECDSA-AES256-GCM-SHA384');
    expect(await tls12('ECDHE-ECDSA-AES128-GCM-SHA256')).toBe('refused');
    const bad = await s.update([INGRESS_CLASS, cm('HIGH; ssl_engine x')]);
    expect(bad.warnings.map((w) => w.message).join('\n')).toMatch(/ssl-ciphers: must be an OpenSSL cipher list/);
    expect(s.conf).not.toContain('ssl_engine');
  });
});
