import { VERDICT_LABELS, VERDICTS, type AuditEntry, type AuditReport } from './classify.js';
import { differenceText, rejectionText } from './wording.js';

/**
 * The audit as one self-contained HTML page: a summary bar and sortable tables, CSS and JS inline, and a
 * Content-Security-Policy that forbids loading anything else (the page works offline, attached to a ticket).
 * Every value from the cluster is HTML-escaped; README's `code` spans become <code>.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function withCode(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

const COLORS: Record<string, string> = { same: '#2e7d32', differences: '#f9a825', rejected: '#c62828', ignored: '#9e9e9e' };

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 12px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
#summary-bar { display: flex; height: 28px; border-radius: 4px; overflow: hidden; min-width: 300px; }
#summary-bar div { min-width: 2px; }
#legend { display: flex; gap: 18px; margin: 8px 0 0; padding: 0; list-style: none; }
#legend li { cursor: pointer; }
#legend li[aria-pressed=true] { font-weight: bold; text-decoration: underline; }
#legend li::before { content: ''; display: inline-block; width: 12px; height: 12px; margin-right: 6px; border-radius: 2px; background: var(--c); vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #ddd; }
th { cursor: pointer; user-select: none; background: #f4f4f4; position: sticky; top: 0; }
th[aria-sort=ascending]::after { content: ' \\25B2'; }
th[aria-sort=descending]::after { content: ' \\25BC'; }
td.num { text-align: right; }
.verdict { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; white-space: nowrap; }
.verdict.differences { color: #222; }
ul.details { margin: 0; padding-left: 16px; }
code { background: #f0f0f0; padding: 0 2px; border-radius: 2px; }
`;

/** Sorts a table by the clicked column (numbers as numbers, data-sort values where given). */
const SCRIPT = `
for (const table of document.querySelectorAll('table.sortable')) {
  const headers = [...table.tHead.rows[0].cells];
  headers.forEach((th, column) => th.addEventListener('click', () => {
    const descending = th.getAttribute('aria-sort') === 'ascending';
    headers.forEach((h) => h.removeAttribute('aria-sort'));
    th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
    const key = (row) => { const c = row.cells[column]; return c.dataset.sort ?? c.textContent.trim(); };
    const rows = [...table.tBodies[0].rows];
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      const order = (x !== '' && y !== '' && !isNaN(x) && !isNaN(y)) ? Number(x) - Number(y) : x.localeCompare(y);
      return descending ? -order : order;
    });
    for (const row of rows) table.tBodies[0].appendChild(row);
  }));
}
// A click on a verdict of the legend shows only its Ingresses; a second click shows all again.
for (const item of document.querySelectorAll('#legend li')) {
  item.addEventListener('click', () => {
    const showing = item.getAttribute('aria-pressed') === 'true' ? undefined : item.dataset.verdict;
    for (const other of document.querySelectorAll('#legend li')) other.setAttribute('aria-pressed', String(other === item && showing !== undefined));
    for (const row of document.querySelectorAll('#ingresses tbody tr')) row.hidden = showing !== undefined && row.dataset.verdict !== showing;
  });
}
`;

function detailsHtml(e: AuditEntry): string {
  const items: string[] = [];
  if (e.verdict === 'ignored') items.push(e.ingressClass ? `class ${escapeHtml(JSON.stringify(e.ingressClass))}` : 'no class');
  for (const r of e.rejections) items.push(withCode(rejectionText(r)));
  for (const d of e.differences) {
    const title = d.known.length > 0 ? ` title="${escapeHtml(d.message)}"` : '';
    items.push(`<span${title}>${withCode(differenceText(d))}</span>`);
  }
  for (const n of e.notes) items.push(`<span class="note">note: ${escapeHtml(n)}</span>`);
  return items.length === 0 ? '' : `<ul class="details">${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

export function htmlReport(report: AuditReport): string {
  const total = Math.max(report.totals.total, 1);
  const bar = VERDICTS.filter((v) => report.totals[v] > 0)
    .map((v) => `<div class="${v}" style="flex: ${report.totals[v]} 0 0; background: ${COLORS[v]}" title="${VERDICT_LABELS[v]}: ${report.totals[v]} (${Math.round((100 * report.totals[v]) / total)} %)"></div>`)
    .join('');
  const legend = VERDICTS.map((v) => `<li style="--c: ${COLORS[v]}" data-verdict="${v}">${VERDICT_LABELS[v]}: <b>${report.totals[v]}</b></li>`).join('');
  const order = { rejected: 0, differences: 1, ignored: 2, same: 3 } as const;
  const rows = report.ingresses
    .map(
      (e) =>
        `<tr data-verdict="${e.verdict}"><td>${escapeHtml(e.namespace)}</td><td>${escapeHtml(e.name)}</td><td>${escapeHtml(e.ingressClass)}</td>` +
        `<td data-sort="${order[e.verdict]}"><span class="verdict ${e.verdict}" style="background: ${COLORS[e.verdict]}">${VERDICT_LABELS[e.verdict]}</span></td>` +
        `<td>${detailsHtml(e)}</td></tr>`,
    )
    .join('\n');
  const annotations = report.annotations
    .map(
      (a) =>
        `<tr><td><code>${escapeHtml(a.key)}</code></td><td class="num">${a.ingresses}</td><td class="num">${a.differing}</td><td class="num">${a.rejecting}</td><td>${a.supported ? 'yes' : 'no'}</td></tr>`,
    )
    .join('\n');
  const others = report.otherWarnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>portico audit</title>
<style>${STYLE}</style>
</head>
<body>
<h1>portico audit: ${report.totals.total} Ingresses, as Portico would serve them with <code>--ingress-class ${escapeHtml(report.ingressClass)}</code></h1>
<section id="summary">
<div id="summary-bar">${bar}</div>
<ul id="legend">${legend}</ul>
</section>
<h2>Ingresses</h2>
<table id="ingresses" class="sortable">
<thead><tr><th>namespace</th><th>name</th><th>class</th><th>verdict</th><th>what changes</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>Annotations by frequency (prefix <code>${escapeHtml(report.annotationsPrefix)}/</code>, on the Ingresses Portico would own)</h2>
<table id="annotations" class="sortable">
<thead><tr><th>annotation</th><th>Ingresses</th><th>differing</th><th>rejecting</th><th>supported</th></tr></thead>
<tbody>
${annotations}
</tbody>
</table>
${others ? `<h2>Other warnings</h2>\n<ul id="other-warnings">${others}</ul>` : ''}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
