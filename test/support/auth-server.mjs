// A real external-auth service for tests (auth-url). Usage: node auth-server.mjs [PORT]; prints "listening PORT".
// Authorization "Bearer good" (or X-Auth-Token: good) → 200 with X-Auth-User: alice; "Bearer forbidden" → 403;
// anything else → 401; GET /cookies/set/NAME/VALUE → 200 with Set-Cookie.
// Every answer reports what the auth request looked like in X-Auth-Saw-* headers, so tests can check it.
import http from 'node:http';

const [portArg = '0'] = process.argv.slice(2);
let count = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    count++;
    const auth = req.headers.authorization ?? '';
    const token = req.headers['x-auth-token'];
    const status = auth === 'Bearer good' || token === 'good' ? 200 : auth === 'Bearer forbidden' ? 403 : 401;
    // GET /cookies/set/NAME/VALUE (as httpbin, which ingress-nginx's auth e2e uses): 200 with Set-Cookie NAME=VALUE.
    const cookie = /^\/cookies\/set\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)/.exec(req.url ?? '');
    if (cookie) {
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': `${cookie[1]}=${cookie[2]}` });
      res.end('ok');
      return;
    }
    res.writeHead(status, {
      'content-type': 'text/plain',
      'x-auth-user': status === 200 ? 'alice' : '',
      'x-auth-saw-method': req.method ?? '',
      'x-auth-saw-path': req.url ?? '',
      'x-auth-saw-original-url': req.headers['x-original-url'] ?? '',
      'x-auth-saw-body-bytes': String(Buffer.concat(chunks).length),
      'x-auth-count': String(count),
    });
    res.end(status === 200 ? 'ok' : 'no');
  });
});
server.listen(Number(portArg), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
