// A network namespace for e2e backends. The API server rejects loopback (127.0.0.0/8, ::1) and
// link-local addresses in Endpoints/EndpointSlices, so backends cannot simply listen on
// 127.0.0.1: they run inside a namespace this test creates, reached from the host over a veth
// pair on a private /24 (10.213.N.0/24) that exists only on this machine, and is removed again.
// Needs root (ip netns add).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { PodInterface, PodNetwork } from './pod-network.js';
import { startProcess, type ManagedProcess } from './process.js';

export interface TestNetworkOptions {
  /** How many addresses the namespace gets (10.213.N.2, .3, ...). Default 1. */
  addresses?: number;
  /**
   * Put the namespace on the process kubelet's bridge (one address, from its pod subnet) instead of a veth of
   * its own, so that what runs in it reaches the kubelet's Pods (a controller "pod" and its backends).
   */
  podNetwork?: PodNetwork;
}

export interface TestNetwork {
  /** The namespace name (portico-e2e-XXXX). */
  readonly name: string;
  /** The host's end of the veth (10.213.N.1): what backends see as the client address. */
  readonly hostAddress: string;
  /** The namespace's addresses (10.213.N.2, ...), for EndpointSlices. */
  readonly addresses: readonly string[];
  /** Starts a process inside the namespace (ip netns exec); it is ended by cleanup() at the latest. */
  runInNamespace(command: string, args: string[], opts?: { logFile?: string; env?: Record<string, string> }): ManagedProcess;
  /** Runs a command inside the namespace to completion; returns stdout. */
  execInNamespace(command: string, args: string[]): Promise<string>;
  /** Ends every process in the namespace, deletes the veth pair and the namespace. */
  cleanup(): Promise<void>;
}

async function ip(args: string[]): Promise<string> {
  const r = await execa('ip', args, { stdin: 'ignore' });
  return String(r.stdout);
}

/** A 10.213.N.0/24 that no interface on this machine uses yet. */
async function freeSubnet(): Promise<number> {
  const used = await ip(['-4', '-o', 'addr', 'show']);
  for (let i = 0; i < 64; i++) {
    const n = 1 + (randomBytes(1)[0] % 254);
    if (!used.includes(` 10.213.${n}.`)) return n;
  }
  throw new Error('no free 10.213.N.0/24 subnet');
}

export async function createTestNetwork(opts: TestNetworkOptions = {}): Promise<TestNetwork> {
  const id = randomBytes(2).toString('hex');
  const name = `portico-e2e-${id}`;
  const hostIf = `pe2e${id}h`; // interface names are at most 15 characters
  const nsIf = `pe2e${id}n`;
  const count = Math.max(1, Math.min(opts.addresses ?? 1, 200));
  const logDir = await mkdtemp(join(tmpdir(), `${name}-`));
  const procs: ManagedProcess[] = [];
  if (opts.podNetwork) return onPodNetwork(opts.podNetwork, name, logDir, procs);
  const n = await freeSubnet();
  const hostAddress = `10.213.${n}.1`;
  const addresses = Array.from({ length: count }, (_, i) => `10.213.${n}.${i + 2}`);

  const cleanup = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop(5_000)));
    // Anything else still in the namespace (started by those processes).
    try {
      const pids = (await ip(['netns', 'pids', name])).split(/\s+/).filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    } catch {
      // namespace not there
    }
    // Deleting one end removes the pair at once (deleting the namespace alone does it lazily).
    await execa('ip', ['link', 'del', hostIf], { reject: false, stdin: 'ignore' });
    await execa('ip', ['netns', 'del', name], { reject: false, stdin: 'ignore' });
    await rm(logDir, { recursive: true, force: true });
  };

  try {
    await ip(['netns', 'add', name]);
    await ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    await ip(['link', 'set', nsIf, 'netns', name]);
    await ip(['addr', 'add', `${hostAddress}/24`, 'dev', hostIf]);
    await ip(['link', 'set', hostIf, 'up']);
    for (const a of addresses) await ip(['-n', name, 'addr', 'add', `${a}/24`, 'dev', nsIf]);
    await ip(['-n', name, 'link', 'set', nsIf, 'up']);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    await cleanup();
    throw err;
  }

  return {
    name,
    hostAddress,
    addresses,
    ...namespaceRunner(name, logDir, procs),
    cleanup,
  };
}

function namespaceRunner(netns: string, logDir: string, procs: ManagedProcess[]): Pick<TestNetwork, 'runInNamespace' | 'execInNamespace'> {
  let seq = 0;
  return {
    runInNamespace(command, args, o = {}) {
      const logFile = o.logFile ?? join(logDir, `${++seq}-${command.split('/').pop()}.log`);
      const p = startProcess(`${command} in ${netns}`, 'ip', ['netns', 'exec', netns, command, ...args], { logFile, env: o.env });
      procs.push(p);
      return p;
    },
    async execInNamespace(command, args) {
      const r = await execa('ip', ['netns', 'exec', netns, command, ...args], { stdin: 'ignore' });
      return String(r.stdout);
    },
  };
}

async function onPodNetwork(network: PodNetwork, name: string, logDir: string, procs: ManagedProcess[]): Promise<TestNetwork> {
  let iface: PodInterface;
  try {
    iface = await network.attach(name);
  } catch (err) {
    await rm(logDir, { recursive: true, force: true });
    throw err;
  }
  return {
    name: iface.netns,
    hostAddress: network.hostAddress,
    addresses: [iface.address],
    ...namespaceRunner(iface.netns, logDir, procs),
    async cleanup() {
      await Promise.all(procs.map((p) => p.stop(5_000)));
      await network.detach(iface);
      await rm(logDir, { recursive: true, force: true });
    },
  };
}
