import { createHash } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { setPriority } from 'node:os';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The config could not be written to the state dir. */
export class ConfigWriteError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot write ${path}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'ConfigWriteError';
  }
}

/** One complaint of `nginx -t`, with the line of the checked file it names (undefined: another file, or none). */
export interface CheckProblem {
  level: string;
  /** nginx's message without the file and line it names. */
  message: string;
  line?: number;
}

const PROBLEM_RE = /^(?:nginx: )?\[(emerg|alert|crit|error)\] (.*?)(?: in (\S+):(\d+))?$/;

/**
 * What nginx -t said about the file at `confPath`. The checked file is a temp file whose name changes at
 * every check (`.nginx.conf.check-PID-N`): its path and line numbers are taken out of the messages, so
 * that the same fault gives the same text at every sync (one log line, one Event); the line stays in
 * `line` for the caller to map back to the rendered text.
 */
export function checkProblems(output: string, confPath: string): CheckProblem[] {
  const problems: CheckProblem[] = [];
  for (const raw of output.trim().split('\n')) {
    const m = PROBLEM_RE.exec(raw.trim());
    if (!m) continue;
    const [, level, text, file, line] = m;
    const ours = file === confPath;
    const message = (file && !ours ? `${text} in ${file}:${line}` : text!).split(confPath).join('nginx.conf');
    problems.push({ level: level!, message, line: ours ? Number(line) : undefined });
  }
  return problems;
}

/** `nginx -t` refused the config; `output` is what nginx said, `problems` its complaints without the temp file's name. */
export class ConfigCheckError extends Error {
  readonly problems: CheckProblem[];
  constructor(
    readonly output: string,
    confPath = '',
  ) {
    const problems = confPath ? checkProblems(output, confPath) : [];
    const said = problems.map((p) => `[${p.level}] ${p.message}`).join(' | ');
    const fallback = (confPath ? output.split(confPath).join('nginx.conf') : output).trim();
    super(`nginx -t failed: ${said || output.trim().split('\n').filter((l) => /\[(emerg|alert|crit|error)\]/.test(l)).join(' | ') || fallback}`);
    this.problems = problems;
    this.name = 'ConfigCheckError';
  }
}

/** The config is in place but nginx could not be told to load it. */
export class ReloadError extends Error {
  constructor(cause: unknown) {
    super(`reload failed: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'ReloadError';
  }
}

export interface NginxChecker {
  nginxBinary: string;
  stateDir: string;
}

let checkSeq = 0;

/**
 * `nginx -t` on a config text without touching the one in force: written to a temp file in the state
 * dir (relative paths resolve the same way), checked, removed. Throws ConfigCheckError.
 */
export async function checkConfigText(checker: NginxChecker, text: string): Promise<void> {
  const tmp = join(checker.stateDir, `.nginx.conf.check-${process.pid}-${++checkSeq}`);
  try {
    await writeFile(tmp, text, { mode: 0o600 });
  } catch (err) {
    // A full disk leaves a partial file behind: never pile them up.
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new ConfigWriteError(tmp, err);
  }
  try {
    await runCheck(checker, tmp);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * `nginx -t` did not finish in time. Not a verdict on the config: a busy machine (a reload of a large
 * config parsing at the same time) must not make the sync bisect Ingresses as if one were at fault.
 */
export class ConfigCheckTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number) {
    super(`nginx -t did not finish within ${timeoutMs} ms`);
    this.name = 'ConfigCheckTimeoutError';
  }
}

/** Generous: nginx -t of 10,000 Ingresses takes tens of seconds on a loaded 2-core machine. */
const CHECK_TIMEOUT_MS = 300_000;

/** Niceness of `nginx -t` (0 is nginx's own; 19 the lowest priority). */
const CHECK_NICENESS = 10;

function lowerPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, CHECK_NICENESS);
  } catch {
    // Not allowed here (a restricted container): the check still runs at normal priority.
  }
}

async function runCheck(checker: NginxChecker, confPath: string): Promise<void> {
  const check = execa(checker.nginxBinary, ['-t', '-q', '-p', checker.stateDir, '-c', confPath, '-e', join(checker.stateDir, 'logs/error.log')], {
    reject: false,
    all: true,
    timeout: CHECK_TIMEOUT_MS,
  });
  // At a lower CPU priority than the nginx workers: a check of a large config takes seconds of CPU, and
  // traffic on the routes that did not change must not queue behind it.
  lowerPriority(check.pid);
  const r = await check;
  if (r.timedOut) throw new ConfigCheckTimeoutError(CHECK_TIMEOUT_MS);
  if (r.exitCode !== 0 || r.failed) throw new ConfigCheckError(r.all || r.message || `exit code ${String(r.exitCode)}`, confPath);
}

export interface ApplyOptions extends NginxChecker {
  text: string;
  /**
   * A fingerprint of everything the config depends on (the text and the files it refers to). When it
   * equals `inForce`, nothing is written, checked or reloaded. Defaults to sha256(text).
   */
  fingerprint?: string;
  inForce?: string;
  /** The caller already ran `nginx -t` on this exact text and files: at 10,000 Ingresses a second check costs many seconds. */
  checked?: boolean;
  /** Loads the config now at STATE/nginx.conf (HUP to the master, or the first start). */
  reload: () => Promise<void>;
}

export interface ApplyResult {
  changed: boolean;
  fingerprint: string;
  /** sha256 of the text. */
  hash: string;
}

/**
 * Applies one config: temp file in the state dir → `nginx -t` → atomic rename over STATE/nginx.conf →
 * reload. A failed write or check leaves STATE/nginx.conf (the last good config) untouched and throws
 * ConfigWriteError / ConfigCheckError; a failed reload throws ReloadError.
 */
export async function applyConfig(opts: ApplyOptions): Promise<ApplyResult> {
  const hash = sha256(opts.text);
  const fingerprint = opts.fingerprint ?? hash;
  if (opts.inForce !== undefined && opts.inForce === fingerprint) return { changed: false, fingerprint, hash };
  const target = join(opts.stateDir, 'nginx.conf');
  const tmp = join(opts.stateDir, `.nginx.conf.new-${process.pid}`);
  try {
    await writeFile(tmp, opts.text, { mode: 0o600 });
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new ConfigWriteError(tmp, err);
  }
  try {
    if (!opts.checked) await runCheck(opts, tmp);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  try {
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new ConfigWriteError(target, err);
  }
  try {
    await opts.reload();
  } catch (err) {
    throw new ReloadError(err);
  }
  return { changed: true, fingerprint, hash };
}
