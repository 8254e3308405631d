import { describe, expect, test } from '@jest/globals';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareStateDir, removeUnusedStateFiles, resolveWorkerUser, workerAccessProblem, workerUserDirective } from './state-dir.js';

const PASSWD = 'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\nshared:x:4242:www-data,alice\n';
const files: Record<string, string> = { '/etc/passwd': PASSWD, '/etc/group': GROUP };
const read = async (path: string) => files[path] ?? '';

describe('the worker user', () => {
  test('is the config\'s `user` directive, else nobody', () => {
    expect(workerUserDirective('worker_processes auto;\nuser www-data;\nevents {}\n')).toEqual({ user: 'www-data', group: 'www-data' });
    expect(workerUserDirective('  user www-data shared;\n')).toEqual({ user: 'www-data', group: 'shared' });
    expect(workerUserDirective('# no user here\nworker_processes auto;\n')).toEqual({ user: 'nobody', group: 'nogroup' });
  });

  test('resolves to its uid, its primary group and the groups that list it', async () => {
    expect(await resolveWorkerUser({ user: 'www-data', group: 'www-data' }, read)).toEqual({ name: 'www-data', uid: 33, gids: [33, 4242] });
    expect(await resolveWorkerUser({ user: 'nobody', group: 'nogroup' }, read)).toEqual({ name: 'nobody', uid: 65534, gids: [65534] });
    expect(await resolveWorkerUser({ user: 'www-data', group: 'root' }, read)).toEqual({ name: 'www-data', uid: 33, gids: [0, 4242] });
  });
});

describe('workerAccessProblem', () => {
  test('names the first directory the worker user cannot enter; a group it belongs to lets it through', async () => {
    const base = await mkdtemp(join(tmpdir(), 'portico-access-'));
    const state = join(base, 'state');
    await prepareStateDir(state);
    const nobody = await resolveWorkerUser({ user: 'nobody', group: 'nogroup' }, read);
    const wwwData = await resolveWorkerUser({ user: 'www-data', group: 'www-data' }, read);
    await chmod(base, 0o750);
    await chown(base, 0, 4242);
    expect(await workerAccessProblem(state, nobody, 0)).toMatch(new RegExp(`^state directory ${state}: nginx's worker user nobody \\(uid 65534\\) cannot enter ${base} \\(mode 0750, owner 0:4242\\)`));
    expect(await workerAccessProblem(state, wwwData, 0)).toBeUndefined();
    // Not run as root: the workers are the master's own user, nothing to check.
    expect(await workerAccessProblem(state, nobody, 1000)).toBeUndefined();
    await chmod(base, 0o711);
    expect(await workerAccessProblem(state, nobody, 0)).toBeUndefined();
    await rm(base, { recursive: true, force: true });
  });
});

describe('removeUnusedStateFiles', () => {
  test('removes the files of the state file folders that are not used, keeps the used ones, the self-signed certificate and other folders', async () => {
    const state = await mkdtemp(join(tmpdir(), 'portico-clean-'));
    await prepareStateDir(state);
    await mkdir(join(state, 'lua'));
    await mkdir(join(state, 'certs', 'a-dir'));
    for (const f of ['certs/ns_a.1111.pem', 'certs/ns_b.2222.pem', 'certs/default-selfsigned.pem', 'certs/ns_a.pem.tmp-99', 'auth/ns_x.3333.htpasswd', 'lua/portico_endpoints.lua', 'logs/error.log']) {
      await writeFile(join(state, f), 'x');
    }
    const removed = await removeUnusedStateFiles(state, new Set(['certs/ns_a.1111.pem']));
    expect(removed.sort()).toEqual(['auth/ns_x.3333.htpasswd', 'certs/ns_a.pem.tmp-99', 'certs/ns_b.2222.pem', 'lua/portico_endpoints.lua']);
    expect((await readdir(join(state, 'certs'))).sort()).toEqual(['a-dir', 'default-selfsigned.pem', 'ns_a.1111.pem']);
    expect(await readdir(join(state, 'logs'))).toContain('error.log');
    await rm(state, { recursive: true, force: true });
  });
});
