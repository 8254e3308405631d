import { describe, expect, test } from '@jest/globals';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyConfig, ConfigCheckError, ConfigWriteError, ReloadError, sha256 } from '../src/apply/apply.js';
import { prepareStateDir } from '../src/apply/state-dir.js';
import { NGINX, nginxWrapper, tempStateDir } from './support/nginx.js';

function conf(stateDir: string, body: string): string {
  return `pid ${stateDir}/nginx.pid;\nerror_log ${stateDir}/logs/error.log;\nevents {}\nhttp {\n  client_body_temp_path ${stateDir}/tmp/cb;\n  proxy_temp_path ${stateDir}/tmp/p;\n  fastcgi_temp_path ${stateDir}/tmp/f;\n  uwsgi_temp_path ${stateDir}/tmp/u;\n  scgi_temp_path ${stateDir}/tmp/s;\n  access_log off;\n${body}\n}\n`;
}

describe('applyConfig', () => {
  test('checks, moves into place, reloads; the same fingerprint again costs nothing', async () => {
    const stateDir = await tempStateDir();
    await prepareStateDir(stateDir);
    let reloads = 0;
    const text = conf(stateDir, '  server { listen 127.0.0.1:1; return 200; }');
    const first = await applyConfig({ nginxBinary: NGINX, stateDir, text, reload: async () => void reloads++ });
    expect(first).toEqual({ changed: true, fingerprint: sha256(text), hash: sha256(text) });
    expect(await readFile(join(stateDir, 'nginx.conf'), 'utf8')).toBe(text);
    expect(reloads).toBe(1);
    const again = await applyConfig({ nginxBinary: NGINX, stateDir, text, inForce: first.fingerprint, reload: async () => void reloads++ });
    expect(again.changed).toBe(false);
    expect(reloads).toBe(1);
    // No temp file left behind.
    expect((await readdir(stateDir)).filter((f) => f.startsWith('.nginx.conf'))).toEqual([]);
  });

  test('a config nginx -t refuses leaves the one in force untouched and is a ConfigCheckError', async () => {
    const stateDir = await tempStateDir();
    await prepareStateDir(stateDir);
    const good = conf(stateDir, '');
    await applyConfig({ nginxBinary: NGINX, stateDir, text: good, reload: async () => undefined });
    let reloaded = false;
    const bad = conf(stateDir, '  no_such_directive on;');
    const err = await applyConfig({ nginxBinary: NGINX, stateDir, text: bad, inForce: sha256(good), reload: async () => void (reloaded = true) }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ConfigCheckError);
    expect((err as Error).message).toContain('unknown directive "no_such_directive"');
    expect(reloaded).toBe(false);
    expect(await readFile(join(stateDir, 'nginx.conf'), 'utf8')).toBe(good);
    expect((await readdir(stateDir)).filter((f) => f.startsWith('.nginx.conf'))).toEqual([]);
  });

  test('a state dir that cannot be written is a ConfigWriteError; a failing reload is a ReloadError', async () => {
    const stateDir = await tempStateDir();
    await prepareStateDir(stateDir);
    const missing = join(stateDir, 'no', 'such', 'dir');
    await expect(applyConfig({ nginxBinary: NGINX, stateDir: missing, text: 'x', reload: async () => undefined })).rejects.toBeInstanceOf(ConfigWriteError);
    const text = conf(stateDir, '');
    await expect(
      applyConfig({
        nginxBinary: NGINX,
        stateDir,
        text,
        reload: async () => {
          throw new Error('no master');
        },
      }),
    ).rejects.toBeInstanceOf(ReloadError);
  });

  test('nginx -t runs at a lower CPU priority than nginx itself (niceness 10)', async () => {
    const stateDir = await tempStateDir();
    await prepareStateDir(stateDir);
    // A wrapper that records its own niceness once the check is under way, then runs the real nginx.
    const record = join(stateDir, 'niceness');
    const wrapper = await nginxWrapper(`sleep 0.3\nnice > ${record}`);
    await applyConfig({ nginxBinary: wrapper, stateDir, text: conf(stateDir, ''), reload: async () => undefined });
    expect((await readFile(record, 'utf8')).trim()).toBe('10');
  });
});
