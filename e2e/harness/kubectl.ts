// The kubectl built by scripts/e2e-setup.sh, run against one kubeconfig.
import { execa } from 'execa';
import { findBinaries } from './binaries.js';

export interface KubectlResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class Kubectl {
  readonly bin: string;

  constructor(
    readonly kubeconfig: string,
    bin?: string,
  ) {
    this.bin = bin ?? findBinaries().kubectl;
  }

  /** Runs kubectl; never throws on a non-zero exit (see exitCode). */
  async exec(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
    const r = await execa(this.bin, [`--kubeconfig=${this.kubeconfig}`, ...args], {
      reject: false,
      input: opts.input,
      stdin: opts.input === undefined ? 'ignore' : undefined,
      timeout: opts.timeoutMs ?? 60_000,
      env: { KUBECONFIG: '' },
    });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  /** Runs kubectl and throws with its stderr on a non-zero exit; returns stdout. */
  async run(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.exec(args, opts);
    if (r.exitCode !== 0) {
      throw new Error(`kubectl ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.trim() || r.stdout.trim()}`);
    }
    return r.stdout;
  }

  /** kubectl apply -f FILE|DIR (server-side validation). */
  apply(path: string, extra: string[] = []): Promise<string> {
    return this.run(['apply', '-f', path, ...extra]);
  }

  /** kubectl apply -k DIR (a Kustomize directory). */
  applyKustomize(dir: string, extra: string[] = []): Promise<string> {
    return this.run(['apply', '-k', dir, ...extra]);
  }

  /** kubectl apply -f - with objects given as values (JSON is valid YAML). */
  applyObjects(objects: unknown[]): Promise<string> {
    return this.run(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  }

  /** kubectl kustomize DIR: the rendered YAML. */
  kustomize(dir: string): Promise<string> {
    return this.run(['kustomize', dir]);
  }

  /** kubectl get -o json; returns the parsed object (or List). */
  async getJson<T = Record<string, unknown>>(resource: string, name?: string, namespace?: string): Promise<T> {
    const args = ['get', resource, ...(name ? [name] : []), ...(namespace ? ['-n', namespace] : []), '-o', 'json'];
    return JSON.parse(await this.run(args)) as T;
  }

  /** kubectl delete, ignoring objects that are already gone. */
  delete(resource: string, name: string, namespace?: string): Promise<string> {
    return this.run(['delete', resource, name, ...(namespace ? ['-n', namespace] : []), '--ignore-not-found', '--wait=false']);
  }

  /** kubectl auth can-i VERB RESOURCE [--as USER]; true for "yes". */
  async canI(verb: string, resource: string, opts: { as?: string; namespace?: string; subresource?: string } = {}): Promise<boolean> {
    const args = ['auth', 'can-i', verb, resource];
    if (opts.subresource) args.push(`--subresource=${opts.subresource}`);
    if (opts.namespace) args.push('-n', opts.namespace);
    if (opts.as) args.push(`--as=${opts.as}`);
    const r = await this.exec(args);
    const answer = r.stdout.trim();
    if (answer === 'yes') return true;
    if (answer === 'no') return false;
    throw new Error(`kubectl ${args.join(' ')}: ${r.stderr.trim() || answer}`);
  }
}
