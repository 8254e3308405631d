// Replays kubernetes/ingress-nginx test/e2e/settings/ssl_ciphers.go ("ssl-ciphers") through Portico's render
// pipeline and a real nginx: ingress-nginx asserts its cipher list in nginx.conf; here a TLS 1.2 handshake
// is also made with a CBC cipher that the list takes in and Portico's default list leaves out.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect } from 'node:tls';
import type { KubeObject } from '../../src/store/types.js';
import { makeCertificate, tlsSecret } from '../support/certs.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'ssl-ciphers.test';
const LIST = 'ALL:!aNULL:!EXPORT56:RC4+RSA:+HIGH:+MEDIUM:+LOW:+SSLv2:+EXP';

/** The TLS 1.2 cipher nginx agreed to, or the handshake's error code. */
function handshake(port: number, ciphers: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1', servername: HOST, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers }, () => {
      const name = sock.getCipher().name;
      sock.end();
      resolve(name);
    });
    sock.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('ingress-nginx settings/ssl_ciphers.go', () => {
  let backends: Backends;
  let s: Scenario;
  let objects: (data: Record<string, string>) => KubeObject[];

  beforeAll(async () => {
    backends = await startBackends('echo');
    const secret = tlsSecret('default', 'tls', await makeCertificate(HOST));
    objects = (data) => [INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), secret, singleIngress('ssl-ciphers', HOST, 'echo', { tlsSecret: 'tls' }), configMap(data)];
    s = await startScenario(objects({ 'ssl-ciphers': LIST }), CONFIGMAP_REF);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("Add ssl ciphers")
  test('Add ssl ciphers', async () => {
    expect(s.model.warnings).toEqual([]);
    expect(s.conf).toContain(`ssl_ciphers "${LIST}";`);
    // ALL takes in CBC suites that Portico's default list leaves out.
    expect(await handshake(s.httpsPort, 'ECDHE-RSA-AES128-SHA')).toBe('ECDHE-RSA-AES128-SHA');
    expect((await s.getTls(HOST, '/')).status).toBe(200);
    // Without the key, Portico's default list (ingress-nginx's AEAD suites) refuses that CBC cipher.
    await s.update(objects({}));
    expect(await handshake(s.httpsPort, 'ECDHE-RSA-AES128-SHA')).not.toBe('ECDHE-RSA-AES128-SHA');
  });
});
