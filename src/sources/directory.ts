import { watch, type FSWatcher } from 'chokidar';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Logger } from '../report/logger.js';
import type { Store } from '../store/snapshot.js';
import type { KubeObject, ResourceKind } from '../store/types.js';
import { isManifestFile, listManifestFiles, ManifestError, readManifestFile } from './manifests.js';
import type { Source } from './types.js';

const KINDS: ResourceKind[] = ['Ingress', 'IngressClass', 'Service', 'EndpointSlice', 'Secret', 'ConfigMap'];

export interface DirectorySourceOptions {
  /** Files or directories of manifests (the same that `render --manifests` reads). */
  paths: string[];
  logger: Logger;
  /** Called when a file cannot be read or parsed (its last good objects stay). */
  onManifestError?: (err: ManifestError) => void;
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
  const byFile = new Map<string, KubeObject[]>();
  let watcher: FSWatcher | undefined;
  let synced = false;
  let store: Store | undefined;
  let notify: ((reason: string) => void) | undefined;
  // File events are handled one at a time, in order.
  let queue: Promise<void> = Promise.resolve();

  const publish = () => {
    if (!store) return;
    const files = [...byFile.keys()].sort();
    const all = files.flatMap((f) => byFile.get(f)!);
    for (const kind of KINDS) store.replaceKind(kind, all.filter((o) => o.kind === kind));
  };

  const readOne = async (file: string): Promise<boolean> => {
    try {
      byFile.set(file, await readManifestFile(file));
      return true;
    } catch (err) {
      const e = err instanceof ManifestError ? err : new ManifestError(file, undefined, String(err));
      opts.logger.error('manifest file not applied; its last good objects stay', { file, error: e.message, kept: byFile.get(file)?.length ?? 0 });
      opts.onManifestError?.(e);
      return false;
    }
  };

  const onEvent = (event: 'add' | 'change' | 'unlink', file: string) => {
    queue = queue.then(async () => {
      if (!synced) return;
      if (event === 'unlink') {
        if (!byFile.delete(file)) return;
      } else {
        if (!isManifestFile(file)) return;
        if (!(await readOne(file))) return;
      }
      opts.logger.debug('manifest file event', { event, file });
      publish();
      notify?.(`${event} ${file}`);
    });
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
      watcher = watch(roots, { ignoreInitial: true, ignored, usePolling: opts.usePolling, awaitWriteFinish: { stabilityThreshold: 30, pollInterval: 10 } });
      watcher.on('add', (f) => onEvent('add', resolve(f)));
      watcher.on('change', (f) => onEvent('change', resolve(f)));
      watcher.on('unlink', (f) => onEvent('unlink', resolve(f)));
      watcher.on('error', (err) => opts.logger.error('manifest watcher error', { error: String(err) }));
      await new Promise<void>((r) => watcher!.once('ready', () => r()));
      for (const root of roots) {
        await stat(root).catch(() => {
          throw new ManifestError(root, undefined, 'cannot read: no such file or directory');
        });
        for (const file of await listManifestFiles(root)) await readOne(resolve(file));
      }
      publish();
      synced = true;
      opts.logger.info('manifests read', { paths: roots, files: byFile.size, objects: [...byFile.values()].reduce((n, l) => n + l.length, 0) });
      onChange('initial read');
    },
    async stop() {
      await watcher?.close();
      await queue;
    },
  };
}
