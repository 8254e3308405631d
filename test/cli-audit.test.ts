import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import jsYaml from 'js-yaml';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AuditReport } from '../src/audit/classify.js';
import { CHROMIUM, decodePng, HeadlessChromium, pixelsOfColour } from './support/chromium.js';
import { ensureBuilt } from './support/controller.js';
import { NGINX_INGRESS_CLASS } from './support/ingress-nginx-class.js';
import { tempWorkDir } from './support/nginx.js';

/**
 * `portico audit --manifests test/corpus` as a user runs it (the built CLI), in every format: the public
 * corpus of Ingresses written for ingress-nginx, taken as one cluster with ingress-nginx's IngressClass.
 */
const CLI = resolve('dist/cli/main.js');
const CORPUS = resolve('test/corpus');
let work: string;
let manifests: string[];
let report: AuditReport;

const audit = (args: string[]) => execa('node', [CLI, 'audit', ...manifests, ...args], { reject: false });

async function corpusFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await corpusFiles(join(dir, e.name))));
    else if (/\.(ya?ml|json)$/.test(e.name)) out.push(join(dir, e.name));
  }
  return out;
}

beforeAll(async () => {
  await ensureBuilt();
  work = await tempWorkDir('portico-audit-');
  await writeFile(join(work, 'ingressclass-nginx.yaml'), NGINX_INGRESS_CLASS);
  manifests = ['--manifests', CORPUS, '--manifests', join(work, 'ingressclass-nginx.yaml')];
  const r = await audit(['--format', 'json']);
  expect(r.exitCode).toBe(3);
  report = JSON.parse(String(r.stdout)) as AuditReport;
}, 60_000);

describe('portico audit --manifests test/corpus', () => {
  test('json: one entry per distinct Ingress of the corpus, the totals add up', async () => {
    const names = new Set<string>();
    for (const file of await corpusFiles(CORPUS)) {
      for (const doc of jsYaml.loadAll(await readFile(file, 'utf8')) as Array<{ kind?: string; metadata?: { namespace?: string; name?: string } } | null>) {
        if (doc?.kind === 'Ingress') names.add(`${doc.metadata?.namespace ?? 'default'}/${doc.metadata?.name ?? ''}`);
      }
    }
    expect(report.ingresses.map((e) => `${e.namespace}/${e.name}`).sort()).toEqual([...names].sort());
    const { total, same, differences, rejected, ignored } = report.totals;
    expect(total).toBe(names.size);
    expect(same + differences + rejected + ignored).toBe(total);
    for (const n of [same, differences, rejected, ignored]) expect(n).toBeGreaterThan(0);
    expect(report.annotations[0]!.ingresses).toBeGreaterThanOrEqual(report.annotations.at(-1)!.ingresses);
  });

  test("the verdicts are render's: the Ingresses render prints a rejection for are the rejected and partly rejected ones", async () => {
    const r = await execa(
      'node',
      [CLI, 'render', ...manifests, '--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--state-dir', join(work, 'state'), '--out', join(work, 'nginx.conf')],
      { reject: false },
    );
    expect(r.exitCode).toBe(3);
    const renderRejected = new Set([...String(r.stderr).matchAll(/^rejected Ingress (\S+): /gm)].map((m) => m[1]!));
    const auditRejected = report.ingresses.filter((e) => e.rejections.length > 0 || e.differences.some((d) => d.field)).map((e) => `${e.namespace}/${e.name}`);
    expect(new Set(auditRejected)).toEqual(renderRejected);
    // Every annotation render warns is not supported is a difference of that Ingress in the audit.
    for (const m of String(r.stderr).matchAll(/^warning: Ingress (\S+): annotation nginx\.ingress\.kubernetes\.io\/(\S+) is not supported/gm)) {
      const entry = report.ingresses.find((e) => `${e.namespace}/${e.name}` === m[1]);
      expect({ ingress: m[1], annotations: entry!.differences.map((d) => d.annotation) }).toEqual({ ingress: m[1], annotations: expect.arrayContaining([m[2]]) });
    }
  });

  test('text, markdown and html show the same totals; --out writes the file and nothing to stdout', async () => {
    const text = await audit([]);
    expect(text.exitCode).toBe(3);
    expect(String(text.stdout)).toContain(`portico audit: ${report.totals.total} Ingresses`);
    expect(String(text.stdout)).toMatch(new RegExp(`served with differences\\s+${report.totals.differences}\\n`));
    expect(String(text.stdout)).toMatch(new RegExp(`rejected\\s+${report.totals.rejected}\\n`));

    const out = join(work, 'audit.md');
    const md = await audit(['--format', 'markdown', '--out', out]);
    expect(md.exitCode).toBe(3);
    expect(String(md.stdout)).toBe('');
    const markdown = await readFile(out, 'utf8');
    expect(markdown).toContain(`| served the same | ${report.totals.same} |`);
    expect(markdown).toContain(`| ignored (class) | ${report.totals.ignored} |`);
    expect(markdown.split('\n').filter((l) => /^\| \S+\/\S* \|/.test(l))).toHaveLength(report.totals.total);

    const html = await audit(['--format', 'html']);
    expect(html.exitCode).toBe(3);
    expect(String(html.stdout)).toContain(`served with differences: <b>${report.totals.differences}</b>`);
  });

  test('a usage error and an unreadable manifest exit 2, as in render', async () => {
    expect((await audit(['--format', 'pdf'])).exitCode).toBe(2);
    const r = await execa('node', [CLI, 'audit', '--manifests', join(work, 'missing.yaml')], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain('missing.yaml');
    expect((await execa('node', [CLI, 'audit', '--manifests', CORPUS, '--kubeconfig', join(work, 'kubeconfig')], { reject: false })).exitCode).toBe(2);
  });

  test('an API server that cannot be reached exits 2 naming the kind it listed, and prints no report', async () => {
    // 127.0.0.1:1: nothing listens there.
    const kubeconfig = join(work, 'unreachable.kubeconfig');
    await writeFile(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const r = await execa('node', [CLI, 'audit', '--kubeconfig', kubeconfig], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/^portico audit: listing (Ingresses|IngressClasses|Services|EndpointSlices|Secrets|ConfigMaps): .*ECONNREFUSED/m);
    expect(String(r.stdout)).toBe('');
    const missing = await execa('node', [CLI, 'audit', '--kubeconfig', join(work, 'no-such.kubeconfig')], { reject: false });
    expect(missing.exitCode).toBe(2);
    expect(String(missing.stderr)).toContain('no-such.kubeconfig');
  });

  test('every Ingress served the same: exit 0', async () => {
    const file = join(work, 'one.yaml');
    await writeFile(
      file,
      `${NGINX_INGRESS_CLASS}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: web, namespace: shop }
spec:
  rules: [{ host: web.test, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] } }]
`,
    );
    const r = await execa('node', [CLI, 'audit', '--manifests', file, '--format', 'json'], { reject: false });
    expect(r.exitCode).toBe(0);
    expect((JSON.parse(String(r.stdout)) as AuditReport).totals).toEqual({ total: 1, same: 1, differences: 0, rejected: 0, ignored: 0 });
  });
});

describe('the html report in a real headless browser (Debian chromium)', () => {
  let browser: HeadlessChromium;
  let page: string;
  const screenshotFile = () => join(work, 'audit.png');

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-deps.sh`);
    const file = join(work, 'audit.html');
    expect((await audit(['--format', 'html', '--out', file])).exitCode).toBe(3);
    browser = await HeadlessChromium.launch();
    page = await browser.open(pathToFileURL(file).href);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await rm(work, { recursive: true, force: true });
  });

  const box = (selector: string) =>
    browser.evaluate<{ width: number; height: number; x: number; y: number } | null>(
      page,
      `(() => { const e = document.querySelector(${JSON.stringify(selector)}); if (!e) return null; const r = e.getBoundingClientRect(); return { width: r.width, height: r.height, x: r.x, y: r.y }; })()`,
    );
  const names = () => browser.evaluate<string[]>(page, `[...document.querySelectorAll('#ingresses tbody tr')].map((r) => r.cells[1].textContent)`);

  test('the summary bar and the table render, one row per Ingress', async () => {
    const bar = await box('#summary-bar');
    expect(bar!.width).toBeGreaterThan(100);
    expect(bar!.height).toBeGreaterThan(10);
    // Each verdict's segment has a width in proportion to its count.
    const segments = await browser.evaluate<Record<string, number>>(page, `Object.fromEntries([...document.querySelectorAll('#summary-bar div')].map((d) => [d.className, d.getBoundingClientRect().width]))`);
    expect(Object.keys(segments).sort()).toEqual(['differences', 'ignored', 'rejected', 'same']);
    expect(segments.same! / segments.rejected!).toBeCloseTo(report.totals.same / report.totals.rejected, 0);
    const table = await box('#ingresses');
    expect(table!.width).toBeGreaterThan(100);
    expect(table!.height).toBeGreaterThan(report.totals.total * 10);
    expect(await browser.evaluate<number>(page, `document.querySelectorAll('#ingresses tbody tr').length`)).toBe(report.totals.total);
    const legend = await browser.evaluate<string>(page, `document.querySelector('#legend').textContent`);
    expect(legend).toContain(`rejected: ${report.totals.rejected}`);
  });

  test('a click on a column header sorts the table by it, a second click reverses it', async () => {
    const before = await names();
    const header = await box('#ingresses thead th:nth-child(2)');
    await browser.click(page, header!.x + header!.width / 2, header!.y + header!.height / 2);
    const ascending = await names();
    expect(ascending).not.toEqual(before);
    expect(ascending).toEqual([...before].sort((a, b) => a.localeCompare(b)));
    await browser.click(page, header!.x + header!.width / 2, header!.y + header!.height / 2);
    expect(await names()).toEqual([...ascending].reverse());
  });

  test('a click on a verdict of the legend shows only its Ingresses, a second click all again', async () => {
    const visibleRows = () => browser.evaluate<number>(page, `[...document.querySelectorAll('#ingresses tbody tr')].filter((r) => r.getBoundingClientRect().height > 0).length`);
    const item = await box('#legend li[data-verdict="rejected"]');
    await browser.click(page, item!.x + item!.width / 2, item!.y + item!.height / 2);
    expect(await visibleRows()).toBe(report.totals.rejected);
    await browser.click(page, item!.x + item!.width / 2, item!.y + item!.height / 2);
    expect(await visibleRows()).toBe(report.totals.total);
  });

  test('a screenshot is written and shows the summary bar in its colours', async () => {
    await browser.send('Page.bringToFront', {}, page);
    const png = await browser.screenshot(page);
    await writeFile(screenshotFile(), png);
    if (process.env.PORTICO_AUDIT_SCREENSHOT) await writeFile(process.env.PORTICO_AUDIT_SCREENSHOT, png);
    expect((await stat(screenshotFile())).size).toBeGreaterThan(10_000);
    const image = decodePng(png);
    expect(image.width).toBeGreaterThan(1000);
    // Not blank: the bar's green (served the same) and red (rejected) are on it, and text around it.
    expect(pixelsOfColour(image, '#2e7d32')).toBeGreaterThan(500);
    expect(pixelsOfColour(image, '#c62828')).toBeGreaterThan(100);
    expect(pixelsOfColour(image, '#222222', 40)).toBeGreaterThan(1000);
  });
});
