// TCP port forwards for a process that cannot share the test's own (a network namespace the test made):
// node port-forward.mjs LISTEN_HOST:LISTEN_PORT=TARGET_HOST:TARGET_PORT ...; prints "forwarding N" once every
// listener is up. e2e/redirects.e2e.test.ts runs it in the namespace so that a controller there reaches
// the API server, which listens on the host's loopback. Ends on SIGTERM.
import net from 'node:net';

const specs = process.argv.slice(2).map((arg) => {
  const m = /^([^:=]+):(\d+)=([^:=]+):(\d+)$/.exec(arg);
  if (!m) throw new Error(`not LISTEN_HOST:PORT=TARGET_HOST:PORT: ${arg}`);
  return { listenHost: m[1], listenPort: Number(m[2]), targetHost: m[3], targetPort: Number(m[4]) };
});

const servers = await Promise.all(
  specs.map(
    (s) =>
      new Promise((resolve, reject) => {
        const server = net.createServer((client) => {
          const upstream = net.connect({ host: s.targetHost, port: s.targetPort });
          const end = () => {
            client.destroy();
            upstream.destroy();
          };
          client.on('error', end);
          upstream.on('error', end);
          client.pipe(upstream);
          upstream.pipe(client);
        });
        server.once('error', reject);
        server.listen(s.listenPort, s.listenHost, () => resolve(server));
      }),
  ),
);
process.stdout.write(`forwarding ${servers.length}\n`);
process.on('SIGTERM', () => process.exit(0));
