// The after-sync observers: what the controller reports of each sync, apart from the sync itself.
import { refString } from '../model/types.js';
import type { SyncObserver, SyncOutcome, SyncReport } from '../reconcile/ports.js';
import type { Log } from '../log.js';
import { rejectionLine, warningLine } from './messages.js';
import type { ControllerMetrics } from './metrics.js';

/** Something told of every sync that produced a config (the Kubernetes status and Event writer). */
export interface Reporter {
  onSync(report: SyncReport): Promise<void>;
  stop(): Promise<void>;
}

/** portico_syncs_total, portico_sync_duration_seconds and the Ingress gauges. */
export function metricsObserver(metrics: ControllerMetrics): SyncObserver {
  return {
    afterSync(outcome: SyncOutcome) {
      metrics.syncDuration.observe(outcome.durationMs / 1000);
      metrics.syncs.inc({ result: outcome.result });
      const report = outcome.report;
      if (!report) return;
      const rejected = new Set([...report.model.rejections, ...report.excluded].map((r) => refString(r.ingress)));
      metrics.ingressesOwned.set(report.model.owned.length);
      metrics.ingressesRejected.set(rejected.size);
      metrics.ingressesExcluded.set(report.excluded.length);
    },
  };
}

/** A log line for each rejection and warning, the first sync it appears in (again after it went away). */
export function problemLogObserver(log: Log): SyncObserver {
  let logged = new Set<string>();
  return {
    afterSync({ report, substituted }: SyncOutcome) {
      if (!report) return;
      const now = new Set<string>();
      const kept = new Set(substituted);
      for (const r of [...report.model.rejections, ...report.excluded]) {
        const line = rejectionLine(r);
        now.add(line);
        if (logged.has(line)) continue;
        const key = refString(r.ingress);
        log.warn(line, {
          ingress: key,
          field: r.field,
          reason: r.reason,
          whole: r.whole,
          excluded: report.excluded.includes(r) || undefined,
          keepsServing: kept.has(key) ? 'last accepted version' : undefined,
        });
      }
      for (const w of report.model.warnings) {
        const line = warningLine(w);
        now.add(line);
        if (!logged.has(line)) log.warn(line, { ingress: w.ingress ? refString(w.ingress) : undefined, object: w.object });
      }
      logged = now;
    },
  };
}

/** A reporter as an observer: told of every sync that produced a config, stopped with the loop. */
export function reporterObserver(reporter: Reporter): SyncObserver {
  return {
    async afterSync({ report }: SyncOutcome) {
      if (report) await reporter.onSync(report);
    },
    stop: () => reporter.stop(),
  };
}
