import type { AuditDifference, AuditEntry, AuditRejection } from './classify.js';

/** "what differs": README's words when it has a row for the annotation, else the pipeline's. */
export function differenceText(d: AuditDifference): string {
  const subject = d.field ?? (d.annotation !== undefined ? `annotation ${d.annotation}` : '');
  const what = d.known.length > 0 ? d.known.map((k) => k.text).join('; ') : d.message;
  return subject ? `${subject}: ${what}` : what;
}

export function rejectionText(r: AuditRejection): string {
  return `${r.field}: ${r.reason}`;
}

/** One line per item of an entry: differences, rejections and notes. */
export function entryDetails(e: AuditEntry): string[] {
  const lines: string[] = [];
  if (e.verdict === 'ignored') lines.push(e.ingressClass ? `class ${JSON.stringify(e.ingressClass)}` : 'no class');
  for (const r of e.rejections) lines.push(rejectionText(r));
  for (const d of e.differences) lines.push(differenceText(d));
  return lines;
}
