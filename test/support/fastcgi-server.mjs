// A real FastCGI responder for tests (the FastCGI 1.0 record protocol over TCP, no package): for each
// request (BEGIN_REQUEST, PARAMS..., STDIN...) it answers STDOUT with a CGI response whose body is JSON:
// the parameters it received (the last value of each name, and the names sent more than once), the body
// read from STDIN, and "Hello world!" (what ingress-nginx's FastCGI hello server answers), then END_REQUEST.
// Usage: node fastcgi-server.mjs NAME [PORT] [HOST]; prints "listening PORT" once ready.
import net from 'node:net';

const [name = 'fastcgi', portArg = '0', host = '127.0.0.1'] = process.argv.slice(2);

const VERSION = 1;
const BEGIN_REQUEST = 1;
const ABORT_REQUEST = 2;
const END_REQUEST = 3;
const PARAMS = 4;
const STDIN = 5;
const STDOUT = 6;
const GET_VALUES = 9;
const GET_VALUES_RESULT = 10;
const UNKNOWN_TYPE = 11;
const FLAG_KEEP_CONN = 1;
const HEADER_LENGTH = 8;
// A record's content is at most 65535 bytes; bigger answers are split.
const MAX_CONTENT = 0xffff;

function record(type, requestId, content = Buffer.alloc(0)) {
  const padding = (8 - (content.length % 8)) % 8;
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt8(VERSION, 0);
  header.writeUInt8(type, 1);
  header.writeUInt16BE(requestId, 2);
  header.writeUInt16BE(content.length, 4);
  header.writeUInt8(padding, 6);
  return Buffer.concat([header, content, Buffer.alloc(padding)]);
}

/** Name-value pairs: each length is one byte below 128, else four bytes with the top bit set. */
function readPairs(buffer) {
  const pairs = [];
  let at = 0;
  const readLength = () => {
    const first = buffer.readUInt8(at);
    if (first < 0x80) {
      at += 1;
      return first;
    }
    const length = buffer.readUInt32BE(at) & 0x7fffffff;
    at += 4;
    return length;
  };
  while (at < buffer.length) {
    const nameLength = readLength();
    const valueLength = readLength();
    const key = buffer.subarray(at, at + nameLength).toString('latin1');
    at += nameLength;
    const value = buffer.subarray(at, at + valueLength).toString('latin1');
    at += valueLength;
    pairs.push([key, value]);
  }
  return pairs;
}

function writePairs(pairs) {
  const length = (n) => (n < 0x80 ? Buffer.from([n]) : (() => { const b = Buffer.alloc(4); b.writeUInt32BE((n | 0x80000000) >>> 0); return b; })());
  return Buffer.concat(pairs.flatMap(([k, v]) => [length(Buffer.byteLength(k)), length(Buffer.byteLength(v)), Buffer.from(k), Buffer.from(v)]));
}

function answer(socket, requestId, request) {
  const pairs = readPairs(Buffer.concat(request.params));
  const params = {};
  const seen = new Set();
  const duplicates = [];
  for (const [key, value] of pairs) {
    if (seen.has(key) && !duplicates.includes(key)) duplicates.push(key);
    seen.add(key);
    params[key] = value;
  }
  const body = JSON.stringify({ service: name, pid: process.pid, message: 'Hello world!', params, names: pairs.map(([k]) => k), duplicates, body: Buffer.concat(request.stdin).toString('utf8') });
  const status = Number(params.HTTP_X_FCGI_STATUS ?? 200);
  const out = Buffer.from(`Status: ${status}\r\nContent-Type: application/json\r\nX-Served-By: ${name}\r\n\r\n${body}`);
  for (let at = 0; at < out.length; at += MAX_CONTENT) socket.write(record(STDOUT, requestId, out.subarray(at, at + MAX_CONTENT)));
  socket.write(record(STDOUT, requestId));
  const end = Buffer.alloc(8); // appStatus 0, protocolStatus REQUEST_COMPLETE (0)
  socket.write(record(END_REQUEST, requestId, end));
  if (!request.keepConn) socket.end();
}

const server = net.createServer((socket) => {
  let pending = Buffer.alloc(0);
  const requests = new Map();
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= HEADER_LENGTH) {
      const type = pending.readUInt8(1);
      const requestId = pending.readUInt16BE(2);
      const contentLength = pending.readUInt16BE(4);
      const paddingLength = pending.readUInt8(6);
      const total = HEADER_LENGTH + contentLength + paddingLength;
      if (pending.length < total) break;
      const content = pending.subarray(HEADER_LENGTH, HEADER_LENGTH + contentLength);
      pending = pending.subarray(total);
      if (type === BEGIN_REQUEST) {
        requests.set(requestId, { keepConn: (content.readUInt8(2) & FLAG_KEEP_CONN) !== 0, params: [], stdin: [], paramsDone: false });
      } else if (type === PARAMS) {
        const r = requests.get(requestId);
        if (r && content.length === 0) r.paramsDone = true;
        else if (r) r.params.push(Buffer.from(content));
      } else if (type === STDIN) {
        const r = requests.get(requestId);
        if (!r) continue;
        if (content.length > 0) r.stdin.push(Buffer.from(content));
        else {
          requests.delete(requestId);
          answer(socket, requestId, r);
        }
      } else if (type === ABORT_REQUEST) {
        requests.delete(requestId);
        socket.write(record(END_REQUEST, requestId, Buffer.alloc(8)));
      } else if (type === GET_VALUES) {
        socket.write(record(GET_VALUES_RESULT, 0, writePairs([['FCGI_MPXS_CONNS', '0']])));
      } else {
        const body = Buffer.alloc(8);
        body.writeUInt8(type, 0);
        socket.write(record(UNKNOWN_TYPE, 0, body));
      }
    }
  });
});

server.listen(Number(portArg), host, () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
