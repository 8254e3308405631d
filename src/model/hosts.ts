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
