// The process kubelet's network: one Linux bridge with the host's address 10.214.N.1/24 (a subnet that no
// interface on this machine uses yet), and for every Pod a network namespace with a veth whose host end
// is on the bridge and whose pod end (eth0) holds the next free 10.214.N.x. No default route is set in the
// pods: they reach the host's bridge address and each other, nothing beyond. Processes in the host
// namespace (Portico's nginx, probes) reach pod IPs over the bridge's connected route.
// Every namespace, veth and the bridge are removed by close(), also after a failure. Needs root.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { claimAddress, releaseAddress } from './dial-guard.js';

async function ip(args: string[]): Promise<string> {
  const r = await execa('ip', args, { stdin: 'ignore' });
  return String(r.stdout);
}

export interface PodInterface {
  readonly netns: string;
  readonly address: string;
}

export interface PodNetwork {
  /** The bridge (pe2eXXXXbr). */
  readonly bridge: string;
  /** 10.214.N.0/24 */
  readonly cidr: string;
  /** The host's address on the bridge (10.214.N.1): the node's InternalIP, what pods see as the client. */
  readonly hostAddress: string;
  /** A namespace with eth0 on the bridge and the next free address. */
  attach(podKey: string): Promise<PodInterface>;
  /** Ends every process in the namespace, deletes the veth and the namespace, frees the address. */
  detach(iface: PodInterface): Promise<void>;
  close(): Promise<void>;
}

async function freeSubnet(): Promise<number> {
  const used = await ip(['-4', '-o', 'addr', 'show']);
  for (let i = 0; i < 64; i++) {
    const n = 1 + (randomBytes(1)[0]! % 254);
    if (!used.includes(` 10.214.${n}.`)) return n;
  }
  throw new Error('no free 10.214.N.0/24 subnet');
}

async function killNamespaceProcesses(netns: string): Promise<void> {
  const r = await execa('ip', ['netns', 'pids', netns], { reject: false, stdin: 'ignore' });
  for (const pid of String(r.stdout).split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function createPodNetwork(): Promise<PodNetwork> {
  const id = randomBytes(2).toString('hex');
  const bridge = `pe2e${id}br`;
  const n = await freeSubnet();
  const hostAddress = `10.214.${n}.1`;
  const free = new Set<number>(Array.from({ length: 252 }, (_, i) => i + 2));
  const attached = new Map<string, { hostIf: string; octet: number; address: string }>();
  let seq = 0;

  const detach = async (iface: PodInterface): Promise<void> => {
    const a = attached.get(iface.netns);
    await killNamespaceProcesses(iface.netns);
    if (a) await execa('ip', ['link', 'del', a.hostIf], { reject: false, stdin: 'ignore' });
    await execa('ip', ['netns', 'del', iface.netns], { reject: false, stdin: 'ignore' });
    if (a) {
      releaseAddress(a.address);
      free.add(a.octet);
      attached.delete(iface.netns);
    }
  };

  // If the process ends without close() (an uncaught error, process.exit in a test runner), remove what is
  // left synchronously: 'exit' handlers cannot wait.
  const onExit = (): void => {
    const run = (args: string[]): string => {
      try {
        return execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
      } catch {
        return '';
      }
    };
    for (const [netns, a] of attached) {
      for (const pid of run(['netns', 'pids', netns]).split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone
        }
      }
      run(['link', 'del', a.hostIf]);
      run(['netns', 'del', netns]);
    }
    run(['link', 'del', bridge]);
  };
  process.once('exit', onExit);

  const close = async (): Promise<void> => {
    for (const netns of [...attached.keys()]) await detach({ netns, address: attached.get(netns)!.address });
    await execa('ip', ['link', 'del', bridge], { reject: false, stdin: 'ignore' });
    process.removeListener('exit', onExit);
  };

  try {
    await ip(['link', 'add', bridge, 'type', 'bridge']);
    await ip(['addr', 'add', `${hostAddress}/24`, 'dev', bridge]);
    await ip(['link', 'set', bridge, 'up']);
  } catch (err) {
    await close();
    throw err;
  }

  return {
    bridge,
    cidr: `10.214.${n}.0/24`,
    hostAddress,
    async attach(podKey) {
      const octet = [...free][0];
      if (octet === undefined) throw new Error(`pod network ${bridge}: no free address for ${podKey}`);
      free.delete(octet);
      const k = (++seq).toString(16);
      const netns = `pe2e${id}-p${k}`;
      const hostIf = `pe2e${id}v${k}`; // interface names are at most 15 characters
      const address = `10.214.${n}.${octet}`;
      attached.set(netns, { hostIf, octet, address });
      try {
        await ip(['netns', 'add', netns]);
        await ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
        await ip(['link', 'set', hostIf, 'master', bridge, 'up']);
        await ip(['-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
        await ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
        await ip(['-n', netns, 'link', 'set', 'lo', 'up']);
      } catch (err) {
        await detach({ netns, address });
        throw err;
      }
      claimAddress(address, `pod ${podKey}`);
      return { netns, address };
    },
    detach,
    close,
  };
}
