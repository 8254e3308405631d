// Events: what is new in a sync report (an Ingress's config in force changed, a new rejection or
// warning), remembered so that an unchanged Ingress costs no Event, and the Event objects written.
import { createHash } from 'node:crypto';
import { V1MicroTime, type EventsV1Event } from '@kubernetes/client-node';
import { refString, type IngressRef, type NginxModel, type Rejection } from '../../model/types.js';
import type { SyncReport } from '../../reconcile/ports.js';
import { oneLine } from '../messages.js';
import { servedIngresses } from './status.js';

/** `reportingController` of our Events. */
const REPORTING_CONTROLLER = 'portico.dev/ingress-controller';

/** A digest of what the config holds for one Ingress: it changes when its routing changes. */
function ingressFingerprints(model: NginxModel): Map<string, string> {
  const parts = new Map<string, string[]>();
  const add = (ref: IngressRef, text: string): void => {
    const k = refString(ref);
    const list = parts.get(k) ?? [];
    list.push(text);
    parts.set(k, list);
  };
  const json = (v: unknown): string => {
    try {
      return JSON.stringify(v) ?? '';
    } catch {
      return '';
    }
  };
  for (const server of model.servers) {
    for (const ref of server.ingresses) add(ref, json(['server', server.host, server.tls?.source ?? '', server.redirectToHttps]));
    for (const loc of server.locations) add(loc.ingress, json(['location', server.host, loc]));
  }
  for (const u of model.upstreams) {
    // Endpoint changes of a Service are applied too: they belong to every Ingress that routes to it.
    const key = json(['upstream', u]);
    for (const server of model.servers) {
      for (const loc of server.locations) {
        if (loc.backend.kind === 'upstream' && loc.backend.upstream === u.name) add(loc.ingress, key);
      }
    }
  }
  const out = new Map<string, string>();
  for (const [k, list] of parts) out.set(k, createHash('sha256').update(list.sort().join('\n')).digest('hex'));
  return out;
}

export interface PlannedEvent {
  /** The Ingress the Event is about; for a ConfigMap Event (`configMap` set), the ConfigMap's namespace and name. */
  ingress: IngressRef;
  /** Set when the Event is about the controller's ConfigMap (a key ignored), not an Ingress. */
  configMap?: true;
  type: 'Normal' | 'Warning';
  reason: 'Sync' | 'Rejected' | 'Warning';
  action: string;
  note: string;
  /** Undoes the memory entry when the Event could not be written, so that it is tried again. */
  forget: () => void;
}

function rejectionText(r: Rejection): string {
  return oneLine(`${r.field}: ${r.reason}`);
}

/**
 * What was already reported, so that an unchanged Ingress costs no Event: Sync when an Ingress's
 * config in force changed (or appeared), Rejected once per distinct reason while it lasts.
 */
export class EventMemory {
  private readonly synced = new Map<string, string>();
  private readonly rejected = new Map<string, Set<string>>();
  private readonly warned = new Map<string, Set<string>>();
  private readonly configMapWarned = new Map<string, Set<string>>();

  plan(report: SyncReport): PlannedEvent[] {
    const events: PlannedEvent[] = [];
    const refs = new Map<string, IngressRef>();
    for (const r of [...report.model.owned, ...report.model.accepted]) refs.set(refString(r), r);

    // Warning Rejected: one per distinct reason, as long as it lasts.
    const reasons = new Map<string, Map<string, Rejection>>();
    for (const r of [...report.model.rejections, ...report.excluded]) {
      const k = refString(r.ingress);
      refs.set(k, r.ingress);
      const m = reasons.get(k) ?? new Map<string, Rejection>();
      m.set(rejectionText(r), r);
      reasons.set(k, m);
    }
    const excludedKeys = new Set(report.excluded.map((r) => refString(r.ingress)));
    for (const [k, m] of reasons) {
      const seen = this.rejected.get(k) ?? new Set<string>();
      for (const [text, r] of m) {
        if (seen.has(text)) continue;
        seen.add(text);
        const what = excludedKeys.has(k) && report.excluded.includes(r) ? 'left out: nginx -t failed with it' : r.whole ? 'not routed' : 'partly routed';
        events.push({
          ingress: r.ingress,
          type: 'Warning',
          reason: 'Rejected',
          action: 'Validate',
          note: `${what}: ${text}`,
          forget: () => this.rejected.get(k)?.delete(text),
        });
      }
      for (const text of [...seen]) if (!m.has(text)) seen.delete(text); // resolved: report again if it recurs
      this.rejected.set(k, seen);
    }
    for (const k of [...this.rejected.keys()]) if (!reasons.has(k)) this.rejected.delete(k);

    // Warning Warning: what was ignored or fell back (an unsupported annotation, a missing TLS Secret), once
    // per distinct message while it lasts, so a migrating operator sees what does not carry over.
    const warnings = new Map<string, Map<string, IngressRef>>();
    for (const w of report.model.warnings) {
      if (!w.ingress) continue;
      const k = refString(w.ingress);
      refs.set(k, w.ingress);
      const m = warnings.get(k) ?? new Map<string, IngressRef>();
      m.set(oneLine(w.message), w.ingress);
      warnings.set(k, m);
    }
    for (const [k, m] of warnings) {
      const seen = this.warned.get(k) ?? new Set<string>();
      for (const [text, ingress] of m) {
        if (seen.has(text)) continue;
        seen.add(text);
        events.push({ ingress, type: 'Warning', reason: 'Warning', action: 'Validate', note: text, forget: () => this.warned.get(k)?.delete(text) });
      }
      for (const text of [...seen]) if (!m.has(text)) seen.delete(text);
      this.warned.set(k, seen);
    }
    for (const k of [...this.warned.keys()]) if (!warnings.has(k)) this.warned.delete(k);

    // Warning Warning on the ConfigMap: a key ignored (invalid, or refused by nginx -t), once per distinct
    // message while it lasts.
    const configMapNotes = new Map<string, { ref: IngressRef; notes: Set<string> }>();
    for (const w of report.model.warnings) {
      const m = w.ingress ? null : /^ConfigMap ([a-z0-9][-a-z0-9]*)\/([a-z0-9][-a-z0-9.]*)$/.exec(w.object);
      if (!m) continue;
      const k = `${m[1]}/${m[2]}`;
      const entry = configMapNotes.get(k) ?? { ref: { namespace: m[1]!, name: m[2]! }, notes: new Set<string>() };
      entry.notes.add(oneLine(w.message));
      configMapNotes.set(k, entry);
    }
    for (const [k, { ref, notes }] of configMapNotes) {
      const seen = this.configMapWarned.get(k) ?? new Set<string>();
      for (const text of notes) {
        if (seen.has(text)) continue;
        seen.add(text);
        events.push({ ingress: ref, configMap: true, type: 'Warning', reason: 'Warning', action: 'Validate', note: text, forget: () => this.configMapWarned.get(k)?.delete(text) });
      }
      for (const text of [...seen]) if (!notes.has(text)) seen.delete(text);
      this.configMapWarned.set(k, seen);
    }
    for (const k of [...this.configMapWarned.keys()]) if (!configMapNotes.has(k)) this.configMapWarned.delete(k);

    // Normal Sync: the config in force holds a new version of this Ingress.
    if (!report.error) {
      const served = servedIngresses(report);
      const prints = ingressFingerprints(report.model);
      for (const k of served) {
        const print = prints.get(k) ?? '';
        if (this.synced.get(k) === print) continue;
        const previous = this.synced.get(k);
        this.synced.set(k, print);
        const ref = refs.get(k)!;
        events.push({
          ingress: ref,
          type: 'Normal',
          reason: 'Sync',
          action: 'Apply',
          note: `configuration applied to nginx${report.configHash ? ` (config sha256 ${report.configHash.slice(0, 12)})` : ''}`,
          forget: () => {
            if (previous === undefined) this.synced.delete(k);
            else this.synced.set(k, previous);
          },
        });
      }
      for (const k of [...this.synced.keys()]) if (!served.has(k)) this.synced.delete(k);
    }
    return events;
  }
}

/** An events.k8s.io/v1 Event about an Ingress. */
export function buildEvent(e: PlannedEvent, uid: string | undefined, identity: string, now: Date): EventsV1Event {
  const suffix = `${now.getTime().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0')}`;
  const base = e.ingress.name.slice(0, 253 - suffix.length - 1);
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `${base}.${suffix}`, namespace: e.ingress.namespace },
    eventTime: new V1MicroTime(now.getTime()),
    type: e.type,
    reason: e.reason,
    action: e.action,
    note: e.note.length > 1000 ? `${e.note.slice(0, 997)}...` : e.note,
    regarding: e.configMap
      ? { apiVersion: 'v1', kind: 'ConfigMap', namespace: e.ingress.namespace, name: e.ingress.name }
      : { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: e.ingress.namespace, name: e.ingress.name, uid },
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: identity.slice(0, 128),
  };
}
