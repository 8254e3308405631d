import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIFFERENCES, knownDifferences, PARTIAL_SUPPORT } from './differences.js';

/** The body rows of the markdown table that follows `heading` in README, as cells. */
function readmeTable(heading: string): string[][] {
  const lines = readFileSync(join(process.cwd(), 'README.md'), 'utf8').split('\n');
  let i = lines.indexOf(heading);
  if (i < 0) throw new Error(`README has no ${heading}`);
  while (!lines[i]!.startsWith('|')) i++;
  i += 2; // header and separator
  const rows: string[][] = [];
  for (; i < lines.length && lines[i]!.startsWith('|'); i++) {
    rows.push(lines[i]!.trim().slice(1, -1).split(' | ').map((c) => c.trim()));
  }
  return rows;
}

describe("README's tables and the data in src/audit/differences.ts", () => {
  test('"Partial or not supported" holds exactly the PARTIAL_SUPPORT rows, in order', () => {
    expect(readmeTable('### Partial or not supported')).toEqual(PARTIAL_SUPPORT.map((r) => [r.annotation, r.status]));
  });

  test('"Differences from ingress-nginx" holds exactly the DIFFERENCES rows, in order', () => {
    expect(readmeTable('### Differences from ingress-nginx')).toEqual(DIFFERENCES.map((r) => [r.behaviour, r.ingressNginx, r.portico, r.why]));
  });

  test("every key a row names appears in the row's first cell, so the lookup says what README says", () => {
    for (const r of [...PARTIAL_SUPPORT.map((p) => ({ cell: p.annotation, keys: p.keys })), ...DIFFERENCES.map((d) => ({ cell: d.behaviour, keys: d.keys }))]) {
      for (const key of r.keys) {
        const [name, value] = key.replace(/\*$/, '').split('=');
        // `-window` in a cell stands for `global-rate-limit-window`: its last part is written.
        const shown = r.cell.includes(name!) || r.cell.includes(`-${name!.split('-').pop()}`);
        expect({ key, shown }).toEqual({ key, shown: true });
        if (value) expect(r.cell).toContain(value);
      }
    }
  });
});

describe('knownDifferences', () => {
  test('a family row covers every key of the family', () => {
    expect(knownDifferences('mirror-target', 'annotation nginx.ingress.kubernetes.io/mirror-target is not supported').map((d) => d.row)).toEqual([
      '`mirror-*`, `enable-opentelemetry`, `stream-snippet`, `ssl-passthrough`',
    ]);
  });

  test('a KEY=VALUE row applies only when the message names the value', () => {
    expect(knownDifferences('load-balance', 'load-balance: ewma needs the Lua balancer')).toHaveLength(1);
    expect(knownDifferences('load-balance', 'annotation load-balance: "x" is not a method')).toEqual([]);
    expect(knownDifferences('backend-protocol', 'AJP needs a module')[0]!.text).toMatch(/^ingress-nginx: `ajp_pass`.*; Portico: the Ingress is rejected/);
  });

  test('a supported key with no row has no known difference', () => {
    expect(knownDifferences('rewrite-target', 'annotation rewrite-target is empty')).toEqual([]);
  });
});
