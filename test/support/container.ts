import { execa, type ResultPromise } from 'execa';
import { mkdir, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempWorkDir } from './nginx.js';
import { waitFor } from './processes.js';

/**
 * Runs an image from buildah's local storage with the OCI runtime runc, as a Kubernetes pod would run it:
 * the image's own entrypoint and environment, a chosen uid/gid, a read-only root file system, no
 * capabilities, no new privileges, and only the bind mounts given. The container shares the host's
 * network namespace (no network namespace in the spec), so it listens on, and reaches, 127.0.0.1 only as
 * the test tells it to; its pid, mount, ipc and uts namespaces are its own.
 *
 * Why runc: crun 1.8 (Debian 12) refuses this machine's hybrid cgroup layout (v1 controllers plus a v2
 * hierarchy holding hugetlb: "cgroups in hybrid mode not supported"); runc runs there. The container's
 * cgroups are created below the test's own (a relative cgroupsPath), so it stays inside whatever
 * limits the test runs under. A spec written here states exactly the settings under test.
 */

export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
}

export interface BindMount {
  source: string;
  destination: string;
  readonly: boolean;
}

export interface ContainerProcess {
  pid: number;
  name: string;
  cmdline: string;
  /** Real, effective, saved and file-system uid (/proc/PID/status Uid:). */
  uids: number[];
  gids: number[];
}

export interface RunningContainer {
  id: string;
  /** The image's root file system on the host (buildah mount), read-only inside the container. */
  rootfs: string;
  image: ImageConfig;
  child: ResultPromise;
  /** stdout lines (the controller's JSON logs). */
  lines: string[];
  stderr(): string;
  /** Host pid of the container's PID 1. */
  initPid(): Promise<number>;
  /** Every process in the container's pid namespace. */
  processes(): Promise<ContainerProcess[]>;
  /** The container's mount table (/proc/1/mountinfo as seen from the host): mount point → options. */
  mounts(): Promise<Array<{ mountPoint: string; options: string[]; fsType: string }>>;
  /** Runs a command inside the running container (runc exec) as the given uid:gid. */
  exec(args: string[], user: string): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }>;
  exited: Promise<number | undefined>;
  /** SIGTERM to PID 1 (tini), waits for the exit, removes the runtime state and the buildah container. */
  stop(): Promise<number | undefined>;
}

export interface RunOptions {
  image: string;
  /** Replaces the image's CMD (the entrypoint stays). */
  cmd: string[];
  uid: number;
  gid: number;
  mounts: BindMount[];
}

export async function imageConfig(image: string): Promise<ImageConfig> {
  const { stdout } = await execa('buildah', ['inspect', '--type', 'image', image]);
  return (JSON.parse(stdout) as { OCIv1: { config: ImageConfig } }).OCIv1.config;
}

/** The OCI runtime spec (config.json) for one run. */
export function runtimeSpec(rootfs: string, image: ImageConfig, opts: RunOptions, hostname: string): object {
  const noCaps: string[] = [];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: opts.uid, gid: opts.gid, additionalGids: [] },
      args: [...(image.Entrypoint ?? []), ...opts.cmd],
      env: image.Env ?? [],
      cwd: image.WorkingDir || '/',
      capabilities: { bounding: noCaps, effective: noCaps, inheritable: noCaps, permitted: noCaps, ambient: noCaps },
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: true },
    hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      // Device nodes only (the runtime creates null, zero, full, random, urandom, tty); owned by root, mode 755.
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      ...opts.mounts.map((m) => ({ destination: m.destination, type: 'bind', source: m.source, options: ['rbind', 'nosuid', 'nodev', m.readonly ? 'ro' : 'rw'] })),
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }],
      maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi'],
      readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      cgroupsPath: hostname,
    },
  };
}

async function statusIds(pid: number, field: 'Uid' | 'Gid'): Promise<number[]> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith(`${field}:`)) ?? '';
  return line.split(/\s+/).slice(1).filter((v) => v !== '').map(Number);
}

const ID_PREFIX = 'portico-image-test-';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A test process killed mid-run (a CI timeout, ^C) leaves its container running (its nginx holding
 * ports) and its buildah container mounted: the ids carry the test's pid, so those of a test that is
 * gone are removed before a new run.
 */
async function removeStaleContainers(): Promise<void> {
  const stale = (name: string) => {
    const m = new RegExp(`^${ID_PREFIX}(\\d+)-`).exec(name);
    return m !== null && !alive(Number(m[1]));
  };
  const runcList = await execa('runc', ['list', '--format', 'json'], { reject: false });
  for (const c of (JSON.parse(runcList.stdout || 'null') ?? []) as Array<{ id: string }>) {
    if (!stale(c.id)) continue;
    await execa('runc', ['kill', '--all', c.id, 'KILL'], { reject: false });
    await execa('runc', ['delete', '--force', c.id], { reject: false });
  }
  const buildahList = await execa('buildah', ['containers', '--format', '{{.ContainerName}}'], { reject: false });
  for (const name of buildahList.stdout.split('\n').filter(stale)) {
    await execa('buildah', ['umount', name], { reject: false });
    await execa('buildah', ['rm', name], { reject: false });
  }
}

/** Starts the container and returns once runc reports it running. */
export async function runContainer(opts: RunOptions): Promise<RunningContainer> {
  await removeStaleContainers();
  const id = `${ID_PREFIX}${process.pid}-${Date.now()}`;
  const image = await imageConfig(opts.image);
  await execa('buildah', ['from', '--pull=never', '--name', id, opts.image]);
  let rootfs = '';
  const bundle = await tempWorkDir('portico-oci-');
  const removeBuildahContainer = async () => {
    await execa('buildah', ['umount', id], { reject: false });
    await execa('buildah', ['rm', id], { reject: false });
  };
  try {
    rootfs = (await execa('buildah', ['mount', id])).stdout.trim();
    await mkdir(bundle, { recursive: true });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(runtimeSpec(rootfs, image, opts, id), null, 2));
  } catch (err) {
    await removeBuildahContainer();
    throw err;
  }
  const child = execa('runc', ['run', '--bundle', bundle, id], { reject: false, buffer: false, stdin: 'ignore' });
  const lines: string[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  let exitedYet = false;
  const exited = child.then((r) => r.exitCode);
  void exited.then(() => (exitedYet = true));

  const initPid = async () => {
    const { stdout } = await execa('runc', ['state', id]);
    return (JSON.parse(stdout) as { pid: number }).pid;
  };
  const processes = async (): Promise<ContainerProcess[]> => {
    const init = await initPid();
    const ns = await readlink(`/proc/${init}/ns/pid`);
    const out: ContainerProcess[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      try {
        if ((await readlink(`/proc/${pid}/ns/pid`)) !== ns) continue;
        const name = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
        const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ').trim();
        out.push({ pid, name, cmdline, uids: await statusIds(pid, 'Uid'), gids: await statusIds(pid, 'Gid') });
      } catch {
        // the process ended while we read it
      }
    }
    return out;
  };
  const mounts = async () => {
    const text = await readFile(`/proc/${await initPid()}/mountinfo`, 'utf8');
    return text.split('\n').filter((l) => l !== '').map((l) => {
      // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
      const [left, right] = l.split(' - ');
      const f = left!.split(' ');
      return { mountPoint: f[4]!.replace(/\\040/g, ' '), options: f[5]!.split(','), fsType: right!.split(' ')[0]! };
    });
  };
  const exec = async (args: string[], user: string) => {
    const r = await execa('runc', ['exec', '--user', user, '--no-new-privs', id, ...args], { reject: false });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  };
  const container: RunningContainer = {
    id,
    rootfs,
    image,
    child,
    lines,
    stderr: () => stderr,
    initPid,
    processes,
    mounts,
    exec,
    exited,
    stop: async () => {
      if (!exitedYet) await execa('runc', ['kill', id, 'TERM'], { reject: false });
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 30000)))]);
      clearTimeout(timer);
      if (code === 'timeout') await execa('runc', ['kill', '--all', id, 'KILL'], { reject: false });
      const finalCode = await exited;
      await execa('runc', ['delete', '--force', id], { reject: false });
      await removeBuildahContainer();
      await rm(bundle, { recursive: true, force: true });
      return finalCode;
    },
  };
  try {
    await waitFor(async () => {
      if (exitedYet) throw new Error('exited');
      return (await initPid()) > 0;
    }, 20000, 'container running');
  } catch (err) {
    await container.stop();
    throw new Error(`the container did not start: ${(err as Error).message}\nstderr: ${stderr}\nstdout: ${lines.join('\n')}`);
  }
  return container;
}
