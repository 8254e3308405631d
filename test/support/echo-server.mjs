// A real backend process for tests: answers every request with JSON describing what it received.
// Usage: node echo-server.mjs NAME [PORT] [HOST] [CERT_FILE KEY_FILE [TLS_OPTIONS_JSON]]; prints "listening PORT".
// With a PEM certificate and key it speaks https instead of http (and adds "tls": true, the SNI name, the
// TLS version, the cipher and the client certificate's subject CN). TLS_OPTIONS_JSON: {"caFile": PEM file
// of CAs whose client certificates it requires, "minVersion", "maxVersion", "ciphers"} (node's tls names).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const [name = 'echo', portArg = '0', host = '127.0.0.1', certFile, keyFile, optionsJson = '{}'] = process.argv.slice(2);
const { caFile, ...versions } = JSON.parse(optionsJson);
const clientAuth = caFile ? { ca: readFileSync(caFile), requestCert: true, rejectUnauthorized: true } : {};
const tls = certFile && keyFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile), ...clientAuth, ...versions } : undefined;
const handler = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const payload = JSON.stringify({
      service: name,
      pid: process.pid,
      method: req.method,
      path: req.url,
      host: req.headers.host ?? '',
      headers: req.headers,
      body,
      remoteAddress: req.socket.remoteAddress,
      ...(tls
        ? {
            tls: true,
            servername: req.socket.servername || null,
            tlsVersion: req.socket.getProtocol(),
            cipher: req.socket.getCipher().name,
            clientCertificate: req.socket.getPeerCertificate().subject?.CN ?? null,
          }
        : {}),
    });
    const status = Number(req.headers['x-echo-status'] ?? 200);
    const delay = Number(req.headers['x-echo-delay-ms'] ?? 0);
    setTimeout(() => {
      // x-echo-response-header: "Name: value" adds that header to the answer (as a backend that sets its own).
      const extra = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(String(req.headers['x-echo-response-header'] ?? ''));
      res.writeHead(status, { 'content-type': 'application/json', 'x-served-by': name, ...(extra ? { [extra[1]]: extra[2] } : {}) });
      res.end(payload);
    }, delay);
  });
};
const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
server.keepAliveTimeout = 65000;
server.listen(Number(portArg), host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
