// A manifest file rewritten slowly (truncated, then written back in chunks over about a second) while
// clients keep requesting its hosts: the file's objects are replaced only once the write has settled, so
// not one request answers 404 (issue 11, item 12).
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { startController, toYaml, type RunningController } from '../support/controller.js';
import { simpleIngress } from '../support/ingress.js';
import { loadFigures, reliabilityLine, startLoad } from '../support/load.js';
import { INGRESS_CLASS, serviceFor, startBackends, type Backends } from '../support/scenario.js';

jest.setTimeout(60000);

const CHUNKS = 10;
const PAUSE_MS = 100;

/** Truncates `path` and writes `text` back in CHUNKS pieces, PAUSE_MS apart, as a streaming writer does. */
async function writeSlowly(path: string, text: string): Promise<void> {
  const file = await open(path, 'w');
  try {
    const size = Math.ceil(text.length / CHUNKS);
    for (let start = 0; start < text.length; start += size) {
      await new Promise((r) => setTimeout(r, PAUSE_MS));
      await file.write(text.slice(start, start + size));
      await file.sync();
    }
  } finally {
    await file.close();
  }
}

describe('a slow writer in directory mode', () => {
  let backends: Backends;
  let ctl: RunningController;
  const ingresses = (extraPath: string) => [
    simpleIngress('one', 'one.test', [['/', 'alpha'], [extraPath, 'beta']]),
    simpleIngress('two', 'two.test', [['/', 'beta']]),
    simpleIngress('three', 'three.test', [['/', 'alpha']]),
  ];

  beforeAll(async () => {
    backends = await startBackends('alpha', 'beta');
    const b = backends.by;
    ctl = await startController({
      files: {
        '00-class.yaml': [INGRESS_CLASS],
        '01-services.yaml': [...serviceFor('default', 'alpha', [b.alpha!]), ...serviceFor('default', 'beta', [b.beta!])],
        'apps.yaml': ingresses('/v1'),
      },
    });
  });

  afterAll(async () => {
    const code = await ctl?.stop();
    await backends?.stopAll();
    expect(code).toBe(0);
  });

  test('rewriting a file in chunks over a second never makes its hosts answer 404', async () => {
    await ctl.waitForBackend('one.test', '/v1', 'beta');
    const load = startLoad({
      port: ctl.httpPort,
      concurrency: 3,
      targets: [
        { host: 'one.test', path: '/', service: 'alpha' },
        { host: 'two.test', path: '/', service: 'beta' },
        { host: 'three.test', path: '/', service: 'alpha' },
      ],
    });
    for (let round = 2; round <= 3; round++) {
      await writeSlowly(join(ctl.dir, 'apps.yaml'), toYaml(ingresses(`/v${round}`)));
      await ctl.waitForBackend('one.test', `/v${round}`, 'beta');
    }
    const result = await load.stop();
    reliabilityLine('slow writer', { rewrites: 2, chunks: CHUNKS, pauseMs: PAUSE_MS, ...loadFigures(result) });
    expect(result.sent).toBeGreaterThan(50);
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(result.sent);
  });
});
