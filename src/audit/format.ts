import { oneLine } from '../report/messages.js';
import { VERDICT_LABELS, VERDICTS, type AuditEntry, type AuditReport, type Verdict } from './classify.js';
import { htmlReport } from './html.js';
import { differenceText, entryDetails, rejectionText } from './wording.js';

export const AUDIT_FORMATS = ['text', 'json', 'markdown', 'html'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

/** The report in one of `portico audit --format`'s formats. */
export function formatReport(report: AuditReport, format: AuditFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'markdown':
      return markdownReport(report);
    case 'html':
      return htmlReport(report);
    case 'text':
      return textReport(report);
  }
}

function totalsLines(report: AuditReport): string[] {
  const width = Math.max(...VERDICTS.map((v) => VERDICT_LABELS[v].length));
  return VERDICTS.map((v) => `  ${VERDICT_LABELS[v].padEnd(width)}  ${String(report.totals[v]).padStart(5)}`);
}

function byVerdict(report: AuditReport, v: Verdict): AuditEntry[] {
  return report.ingresses.filter((e) => e.verdict === v);
}

function textReport(report: AuditReport): string {
  const out: string[] = [];
  out.push(`portico audit: ${report.totals.total} Ingresses, as Portico would serve them with --ingress-class ${oneLine(report.ingressClass)}`);
  out.push(...totalsLines(report));
  for (const v of ['differences', 'rejected', 'ignored'] as const) {
    const entries = byVerdict(report, v);
    if (entries.length === 0) continue;
    out.push('', `${VERDICT_LABELS[v]} (${entries.length})`);
    for (const e of entries) {
      out.push(`  ${oneLine(`${e.namespace}/${e.name}`)}`);
      if (e.verdict === 'ignored') out.push(`    ${e.ingressClass ? `class ${oneLine(JSON.stringify(e.ingressClass))}` : 'no class'}`);
      for (const r of e.rejections) out.push(`    ${oneLine(rejectionText(r))}`);
      for (const d of e.differences) {
        out.push(`    ${oneLine(differenceText(d))}`);
        // README's words first, then the pipeline's own for this Ingress.
        if (d.known.length > 0) out.push(`      (${oneLine(d.message)})`);
      }
    }
  }
  const same = byVerdict(report, 'same');
  if (same.length > 0) {
    out.push('', `${VERDICT_LABELS.same} (${same.length})`);
    for (const e of same) out.push(`  ${oneLine(`${e.namespace}/${e.name}`)}`);
  }
  if (report.annotations.length > 0) {
    out.push('', `annotations by frequency (on the ${report.totals.total - report.totals.ignored} Ingresses Portico would own; prefix ${oneLine(report.annotationsPrefix)}/)`);
    out.push('  ingresses  differing  rejecting  supported  annotation');
    for (const a of report.annotations) {
      out.push(`  ${String(a.ingresses).padStart(9)}  ${String(a.differing).padStart(9)}  ${String(a.rejecting).padStart(9)}  ${(a.supported ? 'yes' : 'no').padStart(9)}  ${oneLine(a.key)}`);
    }
  }
  if (report.otherWarnings.length > 0) {
    out.push('', 'other warnings');
    for (const w of report.otherWarnings) out.push(`  ${oneLine(w)}`);
  }
  return `${out.join('\n')}\n`;
}

/** A markdown table cell: one line, no column break. */
function cell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|');
}

function markdownReport(report: AuditReport): string {
  const out: string[] = [];
  out.push('# portico audit', '');
  out.push(`${report.totals.total} Ingresses, as Portico would serve them with \`--ingress-class ${cell(report.ingressClass)}\`.`, '');
  out.push('| verdict | Ingresses |', '| --- | ---: |');
  for (const v of VERDICTS) out.push(`| ${VERDICT_LABELS[v]} | ${report.totals[v]} |`);
  out.push('', '## Ingresses', '', '| Ingress | class | verdict | what changes |', '| --- | --- | --- | --- |');
  const order = (e: AuditEntry) => ['rejected', 'differences', 'ignored', 'same'].indexOf(e.verdict);
  for (const e of [...report.ingresses].sort((a, b) => order(a) - order(b))) {
    out.push(`| ${cell(`${e.namespace}/${e.name}`)} | ${cell(e.ingressClass)} | ${VERDICT_LABELS[e.verdict]} | ${entryDetails(e).map(cell).join('<br>')} |`);
  }
  if (report.annotations.length > 0) {
    out.push('', '## Annotations by frequency', '', '| annotation | Ingresses | differing | rejecting | supported |', '| --- | ---: | ---: | ---: | --- |');
    for (const a of report.annotations) out.push(`| \`${cell(a.key)}\` | ${a.ingresses} | ${a.differing} | ${a.rejecting} | ${a.supported ? 'yes' : 'no'} |`);
  }
  if (report.otherWarnings.length > 0) {
    out.push('', '## Other warnings', '');
    for (const w of report.otherWarnings) out.push(`- ${cell(w)}`);
  }
  return `${out.join('\n')}\n`;
}
