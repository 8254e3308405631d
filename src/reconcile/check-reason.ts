import type { CheckProblem } from '../apply/apply.js';

/** Where a line of a rendered nginx.conf sits: its server block (by name), its location and the directive on it. */
interface ConfigPlace {
  server?: string;
  location?: string;
  directive?: string;
}

/** The argument of a block header such as `location = "/x" {` or `map $a $b {`, without the braces. */
function blockArgument(header: string): string {
  return header.replace(/^\S+\s*/, '').replace(/\s*\{$/, '').trim();
}

/**
 * Finds the block a line of `text` (1-based, as nginx numbers them) belongs to, by following the braces
 * of the lines before it. The templates write one block opener or closer per line, as nginx.conf.hbs does.
 */
export function placeOfLine(text: string, line: number): ConfigPlace {
  const lines = text.split('\n');
  if (line < 1 || line > lines.length) return {};
  const stack: Array<{ kind: string; argument: string; name?: string }> = [];
  for (let i = 0; i < line - 1; i++) {
    const t = lines[i]!.trim();
    if (t === '' || t.startsWith('#')) continue;
    if (t.endsWith('{')) stack.push({ kind: t.split(/\s/)[0]!.replace(/\{$/, ''), argument: blockArgument(t) });
    else if (t === '}') stack.pop();
    else if (t.startsWith('server_name ')) {
      const server = stack[stack.length - 1];
      if (server?.kind === 'server') server.name = t.replace(/^server_name\s+/, '').replace(/;$/, '').split(/\s+/)[0]!.replace(/^"|"$/g, '');
    }
  }
  const here = lines[line - 1]!.trim();
  // A block nginx refuses on its opening line (`location ... {`) is the place itself.
  if (here.endsWith('{')) stack.push({ kind: here.split(/\s/)[0]!.replace(/\{$/, ''), argument: blockArgument(here) });
  const server = [...stack].reverse().find((b) => b.kind === 'server');
  const location = [...stack].reverse().find((b) => b.kind === 'location');
  return {
    server: server ? (server.name ?? '') : undefined,
    location: location?.argument,
    directive: here.split(/\s/)[0]?.replace(/[{;]$/, '') || undefined,
  };
}

/**
 * A reason for an nginx -t failure that is the same at every sync for the same fault: nginx's message
 * without the temp file's name and line, and instead the place in the rendered config (server name,
 * location, directive), which does not move when other Ingresses are added before it.
 */
export function checkReason(problems: CheckProblem[], text: string, fallback: string): string {
  if (problems.length === 0) return fallback;
  return problems
    .map((p) => {
      if (p.line === undefined) return `[${p.level}] ${p.message}`;
      const place = placeOfLine(text, p.line);
      const where = [
        place.server !== undefined ? `server "${place.server || '_'}"` : 'http level',
        place.location !== undefined ? `location ${place.location}` : undefined,
        place.directive ? `directive "${place.directive}"` : undefined,
      ].filter(Boolean);
      return `[${p.level}] ${p.message} (${where.join(', ')})`;
    })
    .join(' | ');
}
