import { watch, type FSWatcher } from 'chokidar';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename, resolve } from 'node:path';
import type { Log } from '../log.js';
import type { Store } from '../store/snapshot.js';
import type { KubeObject, ResourceKind } from '../store/types.js';
import { DEFAULT_MANIFEST_NAMESPACE, withDefaultNamespace } from './default-namespace.js';
import { FileObjects } from './file-objects.js';
import { isManifestFile, listManifestFiles, ManifestError, NotRegularFileError, readManifestFile } from './manifests.js';
import type { Source } from './source.js';

const KINDS: ResourceKind[] = ['Ingress', 'IngressClass', 'Service', 'EndpointSlice', 'Secret', 'ConfigMap'];

/**
 * How long a file written in place must stay unchanged (size and mtime) before it is read after a change.
 * A writer that streams a file in place (a script writing document by document, a copy over a slow
 * network file system) truncates it and pauses between writes, and every read in such a pause applied
 * part of the file: its other Ingresses answered 404 until the write ended. 500 ms covers pauses of up to
 * half a second. A file renamed into place (kubectl-style tools, editors that save atomically, `mv`) is a
 * new inode whose content is complete: it is read at once, so an atomic write still serves in the time
 * of one sync (185 ms among 10 Ingresses in the bench) instead of paying the half second.
 */
const WRITE_SETTLE_MS = 500;

interface DirectorySourceOptions {
  /** Files or directories of manifests (the same that `render --manifests` reads). */
  paths: string[];
  logger: Log;
  /** Called when a file cannot be read or parsed (its last good objects stay). */
  onManifestError?: (err: ManifestError) => void;
  /** Namespace of objects that name none (default `default`, as kubectl apply). */
  namespace?: string;
  /** chokidar's polling, for file systems without inotify. */
  usePolling?: boolean;
}

/**
 * A directory of manifests as a source: read completely once (then `synced`), then watched with
 * chokidar. A file added, changed or removed flows through; a file that fails to parse is reported and
 * its last good objects stay in the store until it parses again or is removed.
 */
export function createDirectorySource(opts: DirectorySourceOptions): Source {
  const roots = opts.paths.map((p) => resolve(p));
  /** Last good objects of each file. */
  const files = new FileObjects();
  let watcher: FSWatcher | undefined;
  let synced = false;
  let store: Store | undefined;
  let notify: ((reason: string) => void) | undefined;
  // File events are handled one at a time, in order.
  let queue: Promise<void> = Promise.resolve();
  /** The inode each file had when it was last read: a new one means the file was replaced whole. */
  const inodes = new Map<string, number>();
  /** Files waiting for a write in place to settle (their later events are part of the same wait). */
  const settling = new Set<string>();
  /** Those waits, so that stop() sees them out: a read they queue after stop would log past the logger's end. */
  const waits = new Set<Promise<void>>();
  let stopped = false;

  /**
   * Resolves once `file` can be read whole: at once when it is not the inode last read (created, or
   * renamed into place), else once its size and mtime have been still for WRITE_SETTLE_MS.
   */
  const whenWritten = async (file: string): Promise<void> => {
    let last = await stat(file).catch(() => undefined);
    if (!last || last.ino !== inodes.get(file)) return;
    let stillSince = Date.now();
    while (Date.now() - stillSince < WRITE_SETTLE_MS && !stopped) {
      await sleep(50);
      const now = await stat(file).catch(() => undefined);
      if (!now || now.ino !== last.ino) return; // removed (its unlink follows), or replaced whole
      if (now.size !== last.size || now.mtimeMs !== last.mtimeMs) {
        last = now;
        stillSince = Date.now();
      }
    }
  };

  /** Everything at once: the first read, so the store never shows part of the directory. */
  const publishAll = () => {
    if (!store) return;
    const all = files.all();
    for (const kind of KINDS) store.replaceKind(kind, all.filter((o) => o.kind === kind));
  };

  /** One file changed: only the objects it had or has are updated in the store. */
  const publishFile = (file: string, objects: KubeObject[] | undefined) => {
    for (const change of files.set(file, objects)) {
      if (change.object) store?.upsert(change.object);
      else store?.remove(change.kind, change.key);
    }
  };

  const readOne = async (file: string): Promise<KubeObject[] | undefined> => {
    try {
      const before = await stat(file);
      inodes.set(file, before.ino);
      if (files.countOf(file) > 0 && before.size === 0) {
        // A writer that truncates first (shell `>`, most write calls) leaves an empty file until its first
        // write; one that pauses longer than WRITE_SETTLE_MS there would otherwise remove every object
        // the file held. Deleting the file is how its objects are removed.
        opts.logger.warn('manifest file is empty (a write in progress?); its last good objects stay until it has content or is deleted', { file, kept: files.countOf(file) });
        return undefined;
      }
      return withDefaultNamespace(await readManifestFile(file), opts.namespace ?? DEFAULT_MANIFEST_NAMESPACE);
    } catch (err) {
      if (err instanceof NotRegularFileError) {
        opts.logger.warn('manifest path skipped: not a regular file', { file, reason: err.reason, kept: files.countOf(file) });
        return undefined;
      }
      const e = err instanceof ManifestError ? err : new ManifestError(file, undefined, String(err));
      opts.logger.error('manifest file not applied; its last good objects stay', { file, error: e.message, kept: files.countOf(file) });
      opts.onManifestError?.(e);
      return undefined;
    }
  };

  const enqueue = (event: 'add' | 'change' | 'unlink', file: string) => {
    queue = queue.then(async () => {
      if (!synced || stopped) return;
      if (event === 'unlink') {
        inodes.delete(file);
        if (!files.has(file)) return;
        publishFile(file, undefined);
      } else {
        const objects = await readOne(file);
        if (!objects) return;
        publishFile(file, objects);
      }
      opts.logger.debug('manifest file event', { event, file });
      notify?.(`${event} ${file}`);
    });
  };

  const onEvent = (event: 'add' | 'change' | 'unlink', file: string) => {
    if (event === 'unlink') return enqueue(event, file);
    if (!isManifestFile(file) || settling.has(file)) return;
    settling.add(file);
    const wait = whenWritten(file).finally(() => {
      settling.delete(file);
      waits.delete(wait);
      enqueue(event, file);
    });
    waits.add(wait);
  };

  const ignored = (path: string, stats?: { isFile(): boolean }) => {
    if (roots.includes(resolve(path))) return false;
    if (basename(path).startsWith('.')) return true;
    return stats?.isFile() === true && !isManifestFile(path);
  };

  return {
    get synced() {
      return synced;
    },
    async start(s, onChange) {
      store = s;
      notify = onChange;
      // Watch first, read second: a change during the first read is not lost (it is re-read after).
      watcher = watch(roots, { ignoreInitial: true, ignored, usePolling: opts.usePolling });
      watcher.on('add', (f) => onEvent('add', resolve(f)));
      watcher.on('change', (f) => onEvent('change', resolve(f)));
      watcher.on('unlink', (f) => onEvent('unlink', resolve(f)));
      watcher.on('error', (err) => opts.logger.error('manifest watcher error', { error: String(err) }));
      await new Promise<void>((r) => watcher!.once('ready', () => r()));
      for (const root of roots) {
        await stat(root).catch(() => {
          throw new ManifestError(root, undefined, 'cannot read: no such file or directory');
        });
        const skipped = (file: string, reason: string) => opts.logger.warn('manifest path skipped: not a regular file', { file, reason });
        for (const file of (await listManifestFiles(root, skipped)).map((f) => resolve(f))) {
          const objects = await readOne(file);
          if (objects) files.set(file, objects);
        }
      }
      publishAll();
      synced = true;
      opts.logger.info('manifests read', { paths: roots, files: files.fileCount, objects: files.objectCount });
      onChange('initial read');
    },
    async stop() {
      stopped = true;
      await watcher?.close();
      await Promise.all(waits);
      await queue;
    },
    /** Every file read again, in the event queue (a file event lost or coalesced away is made good). */
    async resync() {
      queue = queue.then(async () => {
        if (!synced) return;
        for (const root of roots) {
          const listed = await listManifestFiles(root).catch((err: Error) => {
            opts.logger.error('manifests not re-read', { path: root, error: err.message });
            return [];
          });
          for (const file of listed.map((f) => resolve(f))) {
            const objects = await readOne(file);
            if (objects) publishFile(file, objects);
          }
        }
        notify?.('manifests re-read');
      });
      await queue;
    },
  };
}
