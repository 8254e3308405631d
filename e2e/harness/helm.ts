// The Helm CLI built by scripts/e2e-setup.sh ($HELM, else HELM= in the cache's env file), run with
// its cache, config and data directories in a temporary directory so nothing lands in $HOME.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCacheEnv } from './binaries.js';

export interface HelmResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function findHelm(): string {
  const path = process.env.HELM || readCacheEnv().HELM;
  if (!path || !existsSync(path)) {
    throw new Error(`HELM not found (${path ?? 'unset'}): run \`npm run e2e:setup\` first (scripts/e2e-setup.sh)`);
  }
  return path;
}

export class Helm {
  private constructor(
    readonly bin: string,
    private readonly home: string,
    readonly kubeconfig: string | undefined,
  ) {}

  static async create(kubeconfig?: string): Promise<Helm> {
    return new Helm(findHelm(), await mkdtemp(join(tmpdir(), 'portico-helm-')), kubeconfig);
  }

  /** Runs helm; never throws on a non-zero exit (see exitCode). */
  async exec(args: string[], opts: { input?: string } = {}): Promise<HelmResult> {
    const r = await execa(this.bin, args, {
      reject: false,
      input: opts.input,
      stdin: opts.input === undefined ? 'ignore' : undefined,
      timeout: 120_000,
      env: {
        HELM_CACHE_HOME: join(this.home, 'cache'),
        HELM_CONFIG_HOME: join(this.home, 'config'),
        HELM_DATA_HOME: join(this.home, 'data'),
        KUBECONFIG: this.kubeconfig ?? join(this.home, 'no-kubeconfig'),
      },
    });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  /** Runs helm and throws with its stderr on a non-zero exit; returns stdout. */
  async run(args: string[]): Promise<string> {
    const r = await this.exec(args);
    if (r.exitCode !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  async cleanup(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
  }
}
