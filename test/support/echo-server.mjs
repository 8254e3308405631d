// A real backend process for tests: answers every request with JSON describing what it received.
// Usage: node echo-server.mjs NAME [PORT] [HOST]; prints "listening PORT" once ready.
import http from 'node:http';

const [name = 'echo', portArg = '0', host = '127.0.0.1'] = process.argv.slice(2);
const server = http.createServer((req, res) => {
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
    });
    const status = Number(req.headers['x-echo-status'] ?? 200);
    const delay = Number(req.headers['x-echo-delay-ms'] ?? 0);
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-served-by': name });
      res.end(payload);
    }, delay);
  });
});
server.keepAliveTimeout = 65000;
server.listen(Number(portArg), host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
