import { refString, type ModelWarning, type Rejection } from '../model/types.js';

/** `rejected Ingress NAMESPACE/NAME: FIELD: REASON`, the line `portico render` prints and tools parse. */
export function rejectionLine(r: Rejection): string {
  return `rejected Ingress ${refString(r.ingress)}: ${r.field}: ${oneLine(r.reason)}`;
}

export function warningLine(w: ModelWarning): string {
  return `warning: ${w.object}: ${oneLine(w.message)}`;
}

/** A reason quoting hostile input must still be one line. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
