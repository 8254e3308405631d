import { describe, expect, test } from '@jest/globals';
import { buildModel } from '../model/build.js';
import { DEFAULT_MODEL_OPTIONS } from '../model/types.js';
import type { SyncOutcome } from '../reconcile/ports.js';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { KubeObject } from '../store/types.js';
import type { Log } from '../log.js';
import { ControllerMetrics } from './metrics.js';
import { metricsObserver, problemLogObserver } from './observer.js';

const CLASS = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'portico' }, spec: { controller: DEFAULT_MODEL_OPTIONS.controllerClass } } as KubeObject;

function ing(name: string, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, annotations },
    spec: { ingressClassName: 'portico', rules: [{ host: `${name}.test`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'svc', port: { number: 80 } } } }] } }] },
  } as KubeObject;
}

function outcome(objects: KubeObject[], extra: Partial<SyncOutcome> = {}): SyncOutcome {
  const model = buildModel(snapshotFromObjects([CLASS, ...objects]), { ...DEFAULT_MODEL_OPTIONS, stateDir: '/tmp/portico-observer-test' });
  return { result: 'applied', report: { model, reloaded: true, configHash: 'h', excluded: [] }, substituted: [], reloaded: true, durationMs: 12, ...extra };
}

function recordingLog(): Log & { warnings: string[] } {
  const warnings: string[] = [];
  const none = () => undefined;
  return { warnings, warn: (m) => void warnings.push(m), error: none, info: none, debug: none };
}

const bad = ing('bad', { 'nginx.ingress.kubernetes.io/use-regex': 'maybe' });

describe('problemLogObserver', () => {
  test('a rejection is logged the first sync it appears in, not while it lasts, and again when it comes back', () => {
    const log = recordingLog();
    const observer = problemLogObserver(log);
    observer.afterSync(outcome([ing('good'), bad]));
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toMatch(/^rejected Ingress ns\/bad: /);
    observer.afterSync(outcome([ing('good'), bad]));
    expect(log.warnings).toHaveLength(1);
    observer.afterSync(outcome([ing('good'), ing('bad')]));
    observer.afterSync(outcome([ing('good'), bad]));
    expect(log.warnings).toHaveLength(2);
  });

  test('a sync that made no plan logs nothing', () => {
    const log = recordingLog();
    problemLogObserver(log).afterSync({ result: 'failed', substituted: [], reloaded: false, durationMs: 1 });
    expect(log.warnings).toEqual([]);
  });
});

describe('metricsObserver', () => {
  test('counts the sync by result and sets the Ingress gauges from its model', async () => {
    const metrics = new ControllerMetrics();
    const observer = metricsObserver(metrics);
    observer.afterSync(outcome([ing('good'), bad]));
    observer.afterSync({ result: 'failed', substituted: [], reloaded: false, durationMs: 3 });
    const text = await metrics.text();
    expect(text).toContain('portico_syncs_total{result="applied"} 1');
    expect(text).toContain('portico_syncs_total{result="failed"} 1');
    expect(text).toContain('portico_sync_duration_seconds_count 2');
    expect(text).toContain('portico_ingresses_owned 2');
    expect(text).toContain('portico_ingresses_rejected 1');
  });
});
