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
