// Replays kubernetes/ingress-nginx test/e2e/settings/global_options.go ("global-options") through Portico's
// render pipeline and a real nginx. Its Its assert worker_rlimit_nofile, which Portico does not write
// (nginx keeps the limit it inherits; not a ConfigMap key), beside worker-processes, which is replayed:
// nginx.conf says `worker_processes 11;` and the running master has 11 workers.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '../support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'global-options';

/** The pids whose parent is `pid` (nginx's workers, below its master), from /proc. */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command (which may hold spaces, in parentheses): state, then the parent pid.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) children.push(Number(entry));
  }
  return children;
}

describe('ingress-nginx settings/global_options.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario([INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), singleIngress(HOST, HOST, 'echo'), configMap({ 'worker-processes': '11' })], CONFIGMAP_REF);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should have worker_rlimit_nofile option and be independent on amount of worker processes")
  test('worker-processes 11: eleven workers serve', async () => {
    expect(s.conf).toContain('worker_processes 11;');
    expect(s.model.warnings).toEqual([]);
    const master = Number((await readFile(join(s.stateDir, 'nginx.pid'), 'utf8')).trim());
    await waitFor(async () => (await childrenOf(master)).length === 11, 10000, 'eleven nginx workers');
    expect((await s.get(HOST, '/')).status).toBe(200);
  });
});
