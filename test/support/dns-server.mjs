// A tiny DNS server for tests: answers A queries for names under .portico.test with 127.0.0.1, everything
// else with NXDOMAIN. Usage: node dns-server.mjs; prints "listening PORT" (UDP on 127.0.0.1).
import dgram from 'node:dgram';

const sock = dgram.createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  if (msg.length < 12) return;
  let i = 12;
  const labels = [];
  while (i < msg.length && msg[i] !== 0) {
    labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString('ascii'));
    i += msg[i] + 1;
  }
  const qtype = msg.readUInt16BE(i + 1);
  const question = msg.subarray(12, i + 5);
  const name = labels.join('.').toLowerCase();
  const known = name.endsWith('.portico.test');
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8180 | (known ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  const answer = known && qtype === 1 ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]) : Buffer.alloc(0);
  header.writeUInt16BE(answer.length ? 1 : 0, 6);
  sock.send(Buffer.concat([header, question, answer]), rinfo.port, rinfo.address);
});
sock.bind(0, '127.0.0.1', () => process.stdout.write(`listening ${sock.address().port}\n`));
process.on('SIGTERM', () => sock.close(() => process.exit(0)));
