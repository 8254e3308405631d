import type { Store } from '../store/snapshot.js';

/**
 * Where objects come from: the Kubernetes API (informers) or a watched directory of manifests.
 * A source writes into the store and calls `onChange` after each change; the sync loop decides when
 * to render. `synced` turns true once the first complete list of every kind is in the store, and stays
 * false during a relist, so that an empty or partial snapshot is never rendered.
 */
export interface Source {
  start(store: Store, onChange: (reason: string) => void): Promise<void>;
  /** True while the store holds a complete, consistent view. */
  readonly synced: boolean;
  stop(): Promise<void>;
  /** Reads everything again (SIGHUP), for a source that can miss a change (file events); informers need not. */
  resync?(): Promise<void>;
}
