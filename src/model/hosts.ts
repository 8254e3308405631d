/** nginx server_name arguments for an Ingress host. */
export function serverNamesFor(host: string): string[] {
  if (host === '') return ['_'];
  if (host.startsWith('*.')) {
    // nginx's own `*.foo.com` matches any depth; the Ingress API says exactly one more label.
    const rest = host.slice(2).replace(/\./g, '\\.');
    return [`~^[^.]+\\.${rest}$`];
  }
  return [host];
}

/** Sort key that lists exact hosts before wildcards, then alphabetically, for a stable config. */
export function compareHosts(a: string, b: string): number {
  const wa = a.startsWith('*.') ? 1 : 0;
  const wb = b.startsWith('*.') ? 1 : 0;
  if (a === '' || b === '') return a === '' ? (b === '' ? 0 : 1) : -1;
  return wa - wb || a.localeCompare(b);
}

/**
 * Tenancy (README, Security): each host belongs to the namespace of its oldest non-canary Ingress, which
 * alone decides the host's server-level settings, TLS, regex mode and default backend. Counted over every
 * owned Ingress, accepted or not, so that an owner whose new version is rejected does not hand its host to
 * a younger tenant. `ingresses` must be oldest first.
 */
export function hostOwnerNamespaces(
  ingresses: Iterable<{ namespace: string; hosts: string[]; canary: boolean }>,
): Map<string, string> {
  const owners = new Map<string, string>();
  for (const ing of ingresses) {
    if (ing.canary) continue;
    for (const host of ing.hosts) if (!owners.has(host)) owners.set(host, ing.namespace);
  }
  return owners;
}
