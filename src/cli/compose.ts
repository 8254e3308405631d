// The one place that wires the real adapters (apply/, pipeline.ts, report/) to the sync loop's ports.
import { applyConfig, checkConfigText } from '../apply/apply.js';
import { pushEndpoints } from '../apply/endpoints.js';
import type { ModelOptions } from '../model/types.js';
import { materializeStateFiles, removeStateFilesNotUsedBy } from '../pipeline.js';
import type { NginxPort } from '../reconcile/ports.js';
import { SyncLoop } from '../reconcile/sync-loop.js';
import type { Log } from '../log.js';
import type { ControllerMetrics } from '../report/metrics.js';
import { metricsObserver, problemLogObserver, reporterObserver, type Reporter } from '../report/observer.js';
import type { Source } from '../sources/source.js';
import { Store } from '../store/snapshot.js';

interface ControllerParts {
  source: Source;
  modelOptions: ModelOptions;
  templateDir?: string;
  nginxBinary: string;
  /** Loads STATE/nginx.conf into nginx (HUP, or the first start). */
  reload: () => Promise<void>;
  log: Log;
  metrics: ControllerMetrics;
  reporters: Reporter[];
  debounceMs: number;
  minReloadIntervalMs: number;
  /** Dynamic endpoints: the per-start secret each push carries (modelOptions.endpointPushDigest is its digest). Never logged. */
  endpointPushToken?: string;
}

export function composeSyncLoop(parts: ControllerParts): SyncLoop {
  const { nginxBinary, modelOptions } = parts;
  const nginx: NginxPort = {
    check: (stateDir, text) => checkConfigText({ nginxBinary, stateDir }, text),
    apply: (request) => applyConfig({ nginxBinary, ...request }),
    reload: parts.reload,
  };
  return new SyncLoop({
    source: parts.source,
    store: new Store(),
    modelOptions,
    templateDir: parts.templateDir,
    nginx,
    stateFiles: { write: materializeStateFiles, removeUnused: removeStateFilesNotUsedBy },
    endpoints: { push: (lists) => pushEndpoints(modelOptions.statusPort!, parts.endpointPushToken ?? '', lists) },
    log: parts.log,
    metrics: parts.metrics,
    // In this order, as before the split: the metrics, the log lines, then the API writes.
    observers: [metricsObserver(parts.metrics), problemLogObserver(parts.log), ...parts.reporters.map(reporterObserver)],
    debounceMs: parts.debounceMs,
    minReloadIntervalMs: parts.minReloadIntervalMs,
  });
}
