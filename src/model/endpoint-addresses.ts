import { BlockList, isIP } from 'node:net';

/**
 * Which endpoint addresses (EndpointSlice endpoints, a Service's clusterIP for service-upstream) may reach
 * an nginx `server` line or an endpoint push. Kubernetes itself refuses unspecified, loopback and link-local
 * endpoint addresses; a tenant who could put one in a slice would point nginx at the node's or the pod's
 * own services, the controller's loopback status server among them.
 */
export interface EndpointAddressRules {
  /**
   * Loopback addresses (127.0.0.0/8, ::1) are accepted: directory mode (`--manifests`), where the manifests
   * are the operator's own files and local backends run on 127.0.0.1. Refused for objects from the
   * Kubernetes API, where tenants write EndpointSlices.
   */
  allowLoopback: boolean;
  /** Ports of this controller and its nginx (traffic, status, metrics, debug): refused at a loopback address in every mode. */
  ownPorts: readonly number[];
}

/** Kubernetes's refused ranges, plus all multicast (no TCP connection can be made to it). */
const SPECIAL = ((): Array<{ list: BlockList; what: string }> => {
  const range = (what: string, subnets: Array<[string, number, 'ipv4' | 'ipv6']>) => {
    const list = new BlockList();
    for (const [net, prefix, family] of subnets) list.addSubnet(net, prefix, family);
    return { list, what };
  };
  return [
    range('an unspecified address (0.0.0.0, ::)', [['0.0.0.0', 32, 'ipv4'], ['::', 128, 'ipv6']]),
    range('a link-local address (169.254.0.0/16, fe80::/10)', [['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']]),
    range('a multicast address (224.0.0.0/4, ff00::/8)', [['224.0.0.0', 4, 'ipv4'], ['ff00::', 8, 'ipv6']]),
  ];
})();

const LOOPBACK = (() => {
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addAddress('::1', 'ipv6');
  return list;
})();

/** IPv4 or IPv6 for an address net.isIP accepts; BlockList also matches IPv4-mapped IPv6 (::ffff:127.0.0.1). */
function familyOf(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 4 ? 'ipv4' : 'ipv6';
}

/**
 * Why an endpoint address cannot be used, or undefined. `addressType` is the EndpointSlice's (IPv4 or
 * IPv6); undefined where there is none (a clusterIP) or a manifest left it out.
 */
export function checkEndpointAddress(address: unknown, addressType: string | undefined, port: number, rules: EndpointAddressRules): string | undefined {
  if (typeof address !== 'string') return 'must be a string holding an IP address';
  const shown = JSON.stringify(address);
  // net.isIP accepts a scope suffix (fe80::1%eth0), which nginx cannot write in a server line.
  if (address.includes('%')) return `${shown}: an IPv6 zone id ("${address.slice(address.indexOf('%'))}") is not allowed`;
  const version = isIP(address);
  if (version === 0) return `${shown} is not an IPv4 or IPv6 address`;
  if ((addressType === 'IPv4' || addressType === 'IPv6') && addressType !== `IPv${version}`) {
    return `${shown} is an IPv${version} address in a slice of addressType ${addressType}`;
  }
  const family = familyOf(address);
  for (const { list, what } of SPECIAL) if (list.check(address, family)) return `${shown} is ${what}, which Kubernetes refuses for endpoints`;
  if (LOOPBACK.check(address, family)) {
    if (rules.ownPorts.includes(port)) return `${shown} port ${port} is one of the controller's own loopback ports (nginx's traffic ports, status, metrics, debug)`;
    if (!rules.allowLoopback) return `${shown} is a loopback address (127.0.0.0/8, ::1), which Kubernetes refuses for endpoints`;
  }
  return undefined;
}
