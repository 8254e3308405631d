import { describe, expect, test } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { createLogger } from './logger.js';
import { ControllerMetrics, metricValue, parseStubStatus } from './metrics.js';

describe('stub_status and metrics', () => {
  test('parses the stub_status page nginx serves', () => {
    const page = 'Active connections: 3 \nserver accepts handled requests\n 17 16 42 \nReading: 0 Writing: 1 Waiting: 2 \n';
    expect(parseStubStatus(page)).toEqual({ active: 3, accepts: 17, handled: 16, requests: 42, reading: 0, writing: 1, waiting: 2 });
    expect(parseStubStatus('<html>404</html>')).toBeUndefined();
  });

  test('the config hash is one labelled series that follows the config in force', async () => {
    const m = new ControllerMetrics();
    m.setConfigHash('a'.repeat(64));
    m.setConfigHash('b'.repeat(64));
    const text = await m.text();
    expect(text.match(/^portico_config_info\{/gm)).toHaveLength(1);
    expect(metricValue(text, 'portico_config_info', { hash: 'b'.repeat(64) })).toBe(1);
    // Without a stub_status answer, nginx_up says so and the connection gauges are absent.
    expect(metricValue(text, 'portico_nginx_up')).toBe(0);
    expect(metricValue(text, 'portico_nginx_connections', { state: 'active' })).toBeUndefined();
  });
});

describe('logger', () => {
  async function lines(format: 'json' | 'text', level: 'info' | 'debug', write: (l: ReturnType<typeof createLogger>) => void): Promise<string[]> {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (c: Buffer) => (out += c.toString()));
    const logger = createLogger({ format, level, stream });
    write(logger);
    await new Promise((r) => setTimeout(r, 20));
    return out.split('\n').filter(Boolean);
  }

  test('JSON by default: one object per line with the fields', async () => {
    const out = await lines('json', 'info', (l) => {
      l.warn('rejected Ingress ns/a: spec: bad', { ingress: 'ns/a' });
      l.debug('hidden');
    });
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toMatchObject({ level: 'warn', message: 'rejected Ingress ns/a: spec: bad', ingress: 'ns/a' });
  });

  test('text: LEVEL message key=value', async () => {
    const out = await lines('text', 'debug', (l) => l.debug('change', { reason: 'add x.yaml' }));
    expect(out[0]).toMatch(/^\S+Z DEBUG change reason="add x.yaml"$/);
  });
});
