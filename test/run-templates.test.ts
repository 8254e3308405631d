import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startController, type RunningController } from './support/controller.js';
import { simpleIngress } from './support/ingress.js';
import { waitFor } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from './support/scenario.js';
import { templateCopy } from './support/templates.js';

jest.setTimeout(60000);

describe('portico run with --template-dir', () => {
  let backends: Backends;
  const dirs: string[] = [];

  beforeAll(async () => {
    backends = await startBackends('one', 'two');
  });
  afterAll(async () => {
    await backends?.stopAll();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  const base = () => ({
    'class.yaml': [INGRESS_CLASS],
    'services.yaml': [...serviceFor('default', 'one', [backends.by.one!]), ...serviceFor('default', 'two', [backends.by.two!])],
  });

  test('a template change re-renders; a broken template is reported and the last good config stays', async () => {
    const templates = await templateCopy();
    dirs.push(templates);
    await mkdir(join(templates, 'features', 'zz-test'));
    const ctl: RunningController = await startController({ templateDir: templates, files: { ...base(), 'app.yaml': [simpleIngress('app', 'app.test', [['/', 'one']])] } });
    try {
      await ctl.waitForBackend('app.test', '/', 'one');
      // A feature of the operator's own (templates/features/<feature>/location.hbs).
      const partial = join(templates, 'features', 'zz-test', 'location.hbs');

      // A working customisation shows up in the config in force.
      await writeFile(partial, '        # customised for {{q ingress.name}}\n');
      await waitFor(async () => (await ctl.debug('/debug/config')).body.includes('# customised for "app"'), 10000, 'custom template applied');

      // Broken (does not compile): reported, config unchanged, traffic served.
      const before = (await ctl.debug('/debug/config')).body;
      const errorsBefore = (await ctl.metric('portico_template_errors_total'))!;
      await writeFile(partial, '        # broken {{#if}}\n');
      await waitFor(async () => (await ctl.metric('portico_template_errors_total'))! > errorsBefore, 10000, 'template error reported');
      expect(ctl.logs.some((l) => l.level === 'error' && String(l.message).startsWith('templates not loaded'))).toBe(true);
      expect((await ctl.debug('/debug/config')).body).toBe(before);
      expect((await ctl.get('app.test', '/')).echo?.service).toBe('one');

      // Ingress changes keep flowing, rendered with the last good templates.
      await ctl.writeFile('app.yaml', [simpleIngress('app', 'app.test', [['/', 'two']])]);
      await ctl.waitForBackend('app.test', '/', 'two');
      expect((await ctl.debug('/debug/config')).body).toContain('# customised for "app"');

      // Compiles, but nginx -t refuses it for every location: the templates are at fault, not the Ingresses.
      const errorsMid = (await ctl.metric('portico_template_errors_total'))!;
      await writeFile(partial, '        portico_no_such_directive on;\n');
      await waitFor(async () => (await ctl.metric('portico_template_errors_total'))! > errorsMid, 10000, 'nginx -t failure of the templates reported');
      expect(await ctl.metric('portico_ingresses_excluded')).toBe(0);
      expect((await ctl.get('app.test', '/')).echo?.service).toBe('two');
      expect((await ctl.debug('/debug/config')).body).not.toContain('portico_no_such_directive');

      // Fixed: applied again.
      await writeFile(partial, '        # fixed {{q ingress.name}}\n');
      await waitFor(async () => (await ctl.debug('/debug/config')).body.includes('# fixed "app"'), 10000, 'fixed template applied');
      expect(await ctl.metric('portico_reload_failures_total')).toBe(0);
    } finally {
      expect(await ctl.stop()).toBe(0);
    }
  });

  test('nginx -t failing because of one Ingress: bisection leaves out only that one', async () => {
    // Test-only partial: a location whose Ingress path is /break renders a directive nginx refuses.
    const templates = await templateCopy();
    dirs.push(templates);
    await mkdir(join(templates, 'features', 'zz-breaker'));
    await writeFile(join(templates, 'features', 'zz-breaker', 'location.hbs'), '{{#if (eq ingressPath "/break")}}        portico_no_such_directive on;\n{{/if}}');
    const goods = Array.from({ length: 7 }, (_, i) => simpleIngress(`good${i}`, `good${i}.test`, [['/', 'one']]));
    const ctl = await startController({
      templateDir: templates,
      files: {
        ...base(),
        'goods.yaml': goods,
        'breaker.yaml': [simpleIngress('breaker', 'breaker.test', [['/break', 'two']])],
        'flaky.yaml': [simpleIngress('flaky', 'flaky.test', [['/ok', 'two']], { uid: 'f-1' })],
      },
    });
    try {
      for (let i = 0; i < 7; i++) await ctl.waitForBackend(`good${i}.test`, '/', 'one');
      await ctl.waitForBackend('flaky.test', '/ok', 'two');
      expect((await ctl.get('breaker.test', '/break')).status).toBe(404);
      expect(await ctl.metric('portico_ingresses_excluded')).toBe(1);
      const line = ctl.logs.find((l) => String(l.message).startsWith('rejected Ingress default/breaker'));
      expect(line).toMatchObject({ field: 'nginx.conf', excluded: true });
      expect(String(line!.reason)).toContain('portico_no_such_directive');

      // The others keep updating.
      await ctl.writeFile('goods.yaml', goods.map((g, i) => (i === 3 ? simpleIngress('good3', 'good3.test', [['/', 'two']]) : g)));
      await ctl.waitForBackend('good3.test', '/', 'two');

      // A new version that nginx refuses: excluded, and its last accepted version keeps serving.
      await ctl.writeFile('flaky.yaml', [simpleIngress('flaky', 'flaky.test', [['/ok', 'two'], ['/break', 'one']], { uid: 'f-1' })]);
      await waitFor(async () => (await ctl.metric('portico_ingresses_excluded')) === 2, 10000, 'flaky excluded');
      expect((await ctl.get('flaky.test', '/ok')).echo?.service).toBe('two');
      expect((await ctl.get('flaky.test', '/break')).status).toBe(404);
      const flakyLine = ctl.logs.find((l) => String(l.message).startsWith('rejected Ingress default/flaky'));
      expect(String(flakyLine!.reason)).toContain('its last accepted version keeps serving');
      expect(await ctl.metric('portico_reload_failures_total')).toBe(0);

      // Removing the breaker clears its exclusion.
      await ctl.removeFile('breaker.yaml');
      await waitFor(async () => (await ctl.metric('portico_ingresses_excluded')) === 1, 10000, 'breaker gone');
    } finally {
      expect(await ctl.stop()).toBe(0);
    }
  });
});
