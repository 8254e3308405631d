import type { NginxModel, Rejection } from '../model/types.js';

/** What one sync produced, handed to every reporter (status writer, Events, metrics, logs). */
export interface SyncReport {
  model: NginxModel;
  /** The config in force after this sync was changed (false: unchanged, or applying failed). */
  reloaded: boolean;
  /** sha256 of the nginx.conf in force. */
  configHash: string;
  /** Set when the new config could not be applied; the last good one keeps serving. */
  error?: string;
  /** Ingresses left out because nginx -t failed with them in (found by bisection). */
  excluded: Rejection[];
}

export interface Reporter {
  onSync(report: SyncReport): Promise<void>;
  stop(): Promise<void>;
}
