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

/** nginx's default, and the floor: configs with short names keep the value they always had. */
const MIN_SERVER_NAMES_BUCKET = 128;

/**
 * server_names_hash_bucket_size for a config's exact server names. nginx refuses to start unless one
 * bucket holds the longest name: a pointer, the name plus 2 bytes rounded up to a pointer, and a closing
 * pointer (on 64-bit: with 128, names of 110 characters pass and 111 fail; a 253-character DNS name needs
 * 272, so 512). Sized like ingress-nginx does, from the longest name, rounded up to a power of two.
 */
export function serverNamesHashBucketSize(names: Iterable<string>): number {
  let longest = 0;
  for (const name of names) if (!name.startsWith('~') && name.length > longest) longest = name.length;
  const needed = 8 + Math.ceil((longest + 2) / 8) * 8 + 8;
  let size = MIN_SERVER_NAMES_BUCKET;
  while (size < needed) size *= 2;
  return size;
}
