import { refString, type ModelWarning, type Rejection } from '../model/types.js';

/** `rejected Ingress NAMESPACE/NAME: FIELD: REASON`, the line `portico render` prints and tools parse. */
export function rejectionLine(r: Rejection): string {
  return oneLine(`rejected Ingress ${refString(r.ingress)}: ${r.field}: ${r.reason}`);
}

export function warningLine(w: ModelWarning): string {
  return oneLine(`warning: ${w.object}: ${w.message}`);
}

/**
 * Names and reasons can quote hostile input (a name with a newline would forge a second rejection line):
 * every character outside printable ASCII is shown as a JSON-style escape, so one report is one line.
 */
export function oneLine(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (ch) => {
    const code = ch.codePointAt(0)!;
    return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : JSON.stringify(ch).slice(1, -1);
  });
}
