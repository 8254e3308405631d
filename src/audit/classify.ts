import { FEATURE_LIST } from '../features/registry.js';
import { refString, type IngressRef, type ModelWarning, type NginxModel, type Rejection } from '../model/types.js';
import type { Ingress } from '../store/types.js';
import { knownDifferences, type KnownDifference } from './differences.js';

/**
 * What moving an Ingress from ingress-nginx to Portico does to it, read only from the model pipeline's
 * result (accepted, rejections, warnings): the same verdicts `portico render` prints, grouped per Ingress.
 */
export type Verdict = 'same' | 'differences' | 'rejected' | 'ignored';

export const VERDICTS: readonly Verdict[] = ['same', 'differences', 'rejected', 'ignored'];

export const VERDICT_LABELS: Record<Verdict, string> = {
  same: 'served the same',
  differences: 'served with differences',
  rejected: 'rejected',
  ignored: 'ignored (class)',
};

export interface AuditDifference {
  /** The annotation (without prefix) the pipeline's message names, when it names one. */
  annotation?: string;
  /** Set for a part of the Ingress that is not served (a path), from a rejection that is not whole. */
  field?: string;
  /** The pipeline's own words (the warning or rejection reason). */
  message: string;
  /** README's rows about this annotation (src/audit/differences.ts). */
  known: KnownDifference[];
}

export interface AuditRejection {
  field: string;
  reason: string;
  annotation?: string;
  known: KnownDifference[];
}

export interface AuditEntry {
  namespace: string;
  name: string;
  /** spec.ingressClassName, else the legacy class annotation, else "" (no class). */
  ingressClass: string;
  verdict: Verdict;
  differences: AuditDifference[];
  rejections: AuditRejection[];
  /** Warnings that name no annotation (a missing TLS Secret, a class with no IngressClass object). */
  notes: string[];
}

export interface AnnotationCount {
  /** Without the prefix. */
  key: string;
  /** Owned Ingresses that set it. */
  ingresses: number;
  /** In Portico's annotation registry. */
  supported: boolean;
  /** Owned Ingresses where the pipeline named it in a warning or a partial rejection. */
  differing: number;
  /** Owned Ingresses rejected because of it. */
  rejecting: number;
}

export interface AuditReport {
  ingressClass: string;
  annotationsPrefix: string;
  totals: Record<Verdict, number> & { total: number };
  ingresses: AuditEntry[];
  /** Annotations under the prefix on the Ingresses Portico would own, most frequent first. */
  annotations: AnnotationCount[];
  /** Warnings about other objects (the ConfigMap, Services, Secrets), as `OBJECT: MESSAGE`. */
  otherWarnings: string[];
}

/** How the pipeline's warnings say that ingress-nginx behaves the same (annotations/types.ts, fastcgi.ts, canary.ts). */
const SAME_AS_INGRESS_NGINX = /\bas in ingress-nginx\b/;

/** Kubernetes' annotation for the class, before spec.ingressClassName; shown for ignored Ingresses only. */
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

const SUPPORTED_KEYS = new Set(FEATURE_LIST.flatMap((f) => f.keys));

function refOf(ingress: Ingress): IngressRef {
  return { namespace: ingress.metadata?.namespace ?? '', name: ingress.metadata?.name ?? '' };
}

function classOf(ingress: Ingress): string {
  return ingress.spec?.ingressClassName ?? ingress.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION] ?? '';
}

function prefixedKeys(ingress: Ingress, prefix: string): string[] {
  const start = `${prefix}/`;
  return Object.keys(ingress.metadata?.annotations ?? {})
    .filter((k) => k.startsWith(start))
    .map((k) => k.slice(start.length));
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The annotations among `keys` that a pipeline message names as a whole word (`canary-by-header` is not
 * named by `canary-by-header-value`). Messages name keys bare or with the prefix (`PREFIX/KEY`).
 */
export function annotationsNamed(message: string, keys: readonly string[]): string[] {
  return keys.filter((k) => new RegExp(`(^|[^a-z0-9-])${escapeRegExp(k)}($|[^a-z0-9-])`).test(message));
}

/** `metadata.annotations[PREFIX/KEY]` → KEY. */
function annotationOfField(field: string, prefix: string): string | undefined {
  const m = /^metadata\.annotations\[(.*)\]$/.exec(field);
  if (!m || !m[1]!.startsWith(`${prefix}/`)) return undefined;
  return m[1]!.slice(prefix.length + 1);
}

function known(key: string | undefined, message: string): KnownDifference[] {
  return key === undefined ? [] : knownDifferences(key, message);
}

export interface ClassifyInput {
  /** Every Ingress the pipeline was given (the snapshot's). */
  ingresses: Iterable<Ingress>;
  model: NginxModel;
}

export function classifyIngresses({ ingresses, model }: ClassifyInput): AuditReport {
  const prefix = model.options.annotationsPrefix;
  const owned = new Set(model.owned.map(refString));
  const accepted = new Set(model.accepted.map(refString));
  const rejectionsOf = new Map<string, Rejection[]>();
  for (const r of model.rejections) rejectionsOf.set(refString(r.ingress), [...(rejectionsOf.get(refString(r.ingress)) ?? []), r]);
  const warningsOf = new Map<string, ModelWarning[]>();
  const otherWarnings: string[] = [];
  for (const w of model.warnings) {
    const key = w.ingress ? refString(w.ingress) : w.object.startsWith('Ingress ') ? w.object.slice('Ingress '.length) : undefined;
    if (key === undefined) otherWarnings.push(`${w.object}: ${w.message}`);
    else warningsOf.set(key, [...(warningsOf.get(key) ?? []), w]);
  }

  const entries: AuditEntry[] = [];
  const counts = new Map<string, AnnotationCount>();
  for (const ingress of ingresses) {
    const ref = refOf(ingress);
    const key = refString(ref);
    const keys = prefixedKeys(ingress, prefix);
    const entry: AuditEntry = { ...ref, ingressClass: classOf(ingress), verdict: 'same', differences: [], rejections: [], notes: [] };
    for (const w of warningsOf.get(key) ?? []) {
      // A warning that says ingress-nginx does the same (a malformed value's default, a missing Secret's 503)
      // is no difference: it is kept as a note.
      const named = SAME_AS_INGRESS_NGINX.test(w.message) ? [] : annotationsNamed(w.message, keys);
      if (named.length === 0 || !owned.has(key)) entry.notes.push(w.message);
      for (const annotation of named) if (owned.has(key)) entry.differences.push({ annotation, message: w.message, known: known(annotation, w.message) });
    }
    for (const r of rejectionsOf.get(key) ?? []) {
      const annotation = annotationOfField(r.field, prefix);
      if (r.whole) entry.rejections.push({ field: r.field, reason: r.reason, annotation, known: known(annotation, r.reason) });
      else entry.differences.push({ annotation, field: r.field, message: r.reason, known: known(annotation, r.reason) });
    }
    if (!owned.has(key)) entry.verdict = 'ignored';
    else if (!accepted.has(key)) entry.verdict = 'rejected';
    else if (entry.differences.length > 0) entry.verdict = 'differences';
    entries.push(entry);

    if (!owned.has(key)) continue;
    for (const k of new Set(keys)) {
      const c = counts.get(k) ?? { key: k, ingresses: 0, supported: SUPPORTED_KEYS.has(k), differing: 0, rejecting: 0 };
      c.ingresses++;
      if (entry.differences.some((d) => d.annotation === k)) c.differing++;
      if (entry.rejections.some((r) => r.annotation === k)) c.rejecting++;
      counts.set(k, c);
    }
  }
  entries.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  const totals = { total: entries.length, same: 0, differences: 0, rejected: 0, ignored: 0 };
  for (const e of entries) totals[e.verdict]++;
  const annotations = [...counts.values()].sort((a, b) => b.ingresses - a.ingresses || a.key.localeCompare(b.key));
  return { ingressClass: model.options.ingressClass, annotationsPrefix: prefix, totals, ingresses: entries, annotations, otherWarnings };
}
