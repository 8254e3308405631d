// The network-safety rule of this workplace, enforced: the harness dials or probes only loopback
// (127.0.0.0/8, ::1, localhost) and addresses that one of its own network namespaces holds right now
// (pod IPs the process kubelet handed out on its bridge). Anything else, even an address a controller
// wrote into a status field, is refused before a packet leaves.
import { isIP } from 'node:net';

const owned = new Map<string, string>();

/** Marks address as held by a network namespace the harness created (owner: for the error message). */
export function claimAddress(address: string, owner: string): void {
  owned.set(address, owner);
}

export function releaseAddress(address: string): void {
  owned.delete(address);
}

export function isLoopback(address: string): boolean {
  if (address === 'localhost' || address === '::1' || address === '[::1]') return true;
  return isIP(address) === 4 && address.startsWith('127.');
}

/** True when the harness may send packets to address. */
export function isDialable(address: string): boolean {
  return isLoopback(address) || owned.has(address);
}

/** Throws unless address is loopback or held by one of the harness's own namespaces. */
export function assertDialable(address: string): void {
  if (!isDialable(address)) {
    throw new Error(`refusing to dial ${address}: not loopback and not an address of a network namespace this harness created`);
  }
}
