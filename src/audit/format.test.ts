import { describe, expect, test } from '@jest/globals';
import type { AuditReport } from './classify.js';
import { formatReport } from './format.js';

const report: AuditReport = {
  ingressClass: 'nginx',
  annotationsPrefix: 'nginx.ingress.kubernetes.io',
  totals: { total: 3, same: 1, differences: 1, rejected: 1, ignored: 0 },
  ingresses: [
    { namespace: 'a', name: 'plain', ingressClass: 'nginx', verdict: 'same', differences: [], rejections: [], notes: [] },
    {
      namespace: 'a',
      name: 'lb',
      ingressClass: 'nginx',
      verdict: 'differences',
      differences: [{ annotation: 'load-balance', message: 'load-balance: ewma needs the Lua balancer', known: [{ row: '`load-balance: ewma`', text: 'not supported: round robin is used' }] }],
      rejections: [],
      notes: [],
    },
    {
      namespace: 'a',
      name: 'evil',
      ingressClass: 'nginx',
      verdict: 'rejected',
      differences: [],
      rejections: [{ field: 'spec.rules[0].host', reason: 'bad <script>alert(1)</script> | x\nrejected Ingress forged', known: [] }],
      notes: [],
    },
  ],
  annotations: [{ key: 'load-balance', ingresses: 1, supported: true, differing: 1, rejecting: 0 }],
  otherWarnings: [],
};

describe('formatReport', () => {
  test('text: totals, README text for a difference with the pipeline message beside it, one line per item', () => {
    const text = formatReport(report, 'text');
    expect(text).toMatch(/served the same\s+1\n/);
    expect(text).toContain('    annotation load-balance: not supported: round robin is used\n      (load-balance: ewma needs the Lua balancer)\n');
    // A reason with a newline cannot forge a line of its own.
    expect(text).toContain('x\\u000arejected Ingress forged');
    expect(text).not.toMatch(/^rejected Ingress forged/m);
  });

  test('markdown: one table row per Ingress, a | in a value escaped', () => {
    const md = formatReport(report, 'markdown');
    expect(md).toContain('| served with differences | 1 |');
    const row = md.split('\n').find((l) => l.startsWith('| a/evil '))!;
    expect(row).toContain('\\| x');
    expect(row.split(/(?<!\\)\|/).length).toBe(6);
  });

  test('json: the report itself', () => {
    expect(JSON.parse(formatReport(report, 'json'))).toEqual(report);
  });

  test('html: self-contained (no src or href to anything), every value escaped', () => {
    const html = formatReport(report, 'html');
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&#60;script&#62;alert(1)');
    expect(html.match(/<tr data-verdict=/g)).toHaveLength(3);
  });
});
