// Ingress status: which Ingresses get this controller's published address, and which lose it.
import { isIP } from 'node:net';
import { refString } from '../../model/types.js';
import type { SyncReport } from '../../reconcile/ports.js';
import type { Ingress, Service } from '../../store/types.js';

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

/** A Service's published address: its LoadBalancer ingress, else its externalIPs, else its clusterIP. */
export function addressesFromService(svc: Service | undefined): LoadBalancerIngress[] {
  if (!svc) return [];
  const lb = (svc.status?.loadBalancer?.ingress ?? [])
    .map((i): LoadBalancerIngress | undefined => (i.ip ? { ip: i.ip } : i.hostname ? { hostname: i.hostname } : undefined))
    .filter((x): x is LoadBalancerIngress => !!x);
  if (lb.length > 0) return lb;
  const external = (svc.spec?.externalIPs ?? []).filter(Boolean);
  if (external.length > 0) return addressesFromList(external);
  const clusterIP = svc.spec?.clusterIP;
  if (clusterIP && clusterIP !== 'None') return [{ ip: clusterIP }];
  return [];
}

/** --publish-status-address values: IPs as `ip`, anything else as `hostname`. */
export function addressesFromList(list: string[]): LoadBalancerIngress[] {
  return list.map((a) => a.trim()).filter(Boolean).map((a) => (isIP(a) ? { ip: a } : { hostname: a }));
}

export function addressKey(a: LoadBalancerIngress): string {
  return a.ip ? `ip:${a.ip}` : `hostname:${a.hostname ?? ''}`;
}

/** Order-insensitive comparison of two status lists. */
export function sameAddresses(a: LoadBalancerIngress[], b: LoadBalancerIngress[]): boolean {
  const ka = [...new Set(a.map(addressKey))].sort();
  const kb = [...new Set(b.map(addressKey))].sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

function currentAddresses(ing: Ingress): LoadBalancerIngress[] {
  return (ing.status?.loadBalancer?.ingress ?? []).map((i) => (i.ip ? { ip: i.ip } : { hostname: i.hostname }));
}

interface StatusChange {
  namespace: string;
  name: string;
  /** The new status.loadBalancer.ingress (empty: cleared). */
  addresses: LoadBalancerIngress[];
}

/**
 * Which Ingresses need a status write: every served Ingress gets `published` when it differs; every
 * other Ingress that still carries one of `ours` (addresses this controller published) loses them.
 */
export function planStatus(
  ingresses: Ingress[],
  served: ReadonlySet<string>,
  published: LoadBalancerIngress[],
  ours: ReadonlySet<string>,
): StatusChange[] {
  const changes: StatusChange[] = [];
  for (const ing of ingresses) {
    const namespace = ing.metadata?.namespace ?? '';
    const name = ing.metadata?.name ?? '';
    const current = currentAddresses(ing);
    if (served.has(`${namespace}/${name}`)) {
      if (published.length > 0 && !sameAddresses(current, published)) changes.push({ namespace, name, addresses: published });
    } else if (current.some((a) => ours.has(addressKey(a)))) {
      changes.push({ namespace, name, addresses: current.filter((a) => !ours.has(addressKey(a))) });
    }
  }
  return changes;
}

/** The Ingresses whose config is in force after a report: accepted, and not left out by nginx -t. */
export function servedIngresses(report: SyncReport): Set<string> {
  const excluded = new Set(report.excluded.map((r) => refString(r.ingress)));
  return new Set(report.model.accepted.map(refString).filter((k) => !excluded.has(k)));
}
