import type { ConfigMap, EndpointSlice, Ingress, IngressClass, KubeObject, ResourceKind, Secret, Service } from './types.js';

/** The current state of every object Portico reads, keyed by `namespace/name` (IngressClass: `name`). */
export interface Snapshot {
  ingresses: ReadonlyMap<string, Ingress>;
  ingressClasses: ReadonlyMap<string, IngressClass>;
  services: ReadonlyMap<string, Service>;
  endpointSlices: ReadonlyMap<string, EndpointSlice>;
  secrets: ReadonlyMap<string, Secret>;
  configMaps: ReadonlyMap<string, ConfigMap>;
}

export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

const FIELD_BY_KIND: Record<ResourceKind, keyof Snapshot> = {
  Ingress: 'ingresses',
  IngressClass: 'ingressClasses',
  Service: 'services',
  EndpointSlice: 'endpointSlices',
  Secret: 'secrets',
  ConfigMap: 'configMaps',
};

export function isResourceKind(kind: unknown): kind is ResourceKind {
  return typeof kind === 'string' && kind in FIELD_BY_KIND;
}

export function emptySnapshot(): Snapshot {
  return {
    ingresses: new Map(),
    ingressClasses: new Map(),
    services: new Map(),
    endpointSlices: new Map(),
    secrets: new Map(),
    configMaps: new Map(),
  };
}

/** Builds a snapshot from a flat list of objects; objects of other kinds are ignored, the last of a key wins. */
export function snapshotFromObjects(objects: Iterable<KubeObject>): Snapshot {
  const store = new Store();
  for (const obj of objects) store.upsert(obj);
  return store.snapshot();
}

/**
 * The one piece of shared mutable state: sources write into it, the sync loop reads immutable snapshots out.
 * `version` increases on every change so callers can tell whether anything happened since they last looked.
 */
export class Store {
  private readonly maps = emptySnapshot() as Record<keyof Snapshot, Map<string, KubeObject>>;
  private cached: Snapshot | undefined;
  version = 0;

  upsert(obj: KubeObject): boolean {
    if (!isResourceKind(obj.kind)) return false;
    this.maps[FIELD_BY_KIND[obj.kind]].set(objectKey(obj), obj);
    this.changed();
    return true;
  }

  remove(kind: ResourceKind, key: string): boolean {
    const removed = this.maps[FIELD_BY_KIND[kind]].delete(key);
    if (removed) this.changed();
    return removed;
  }

  /** Replaces every object of one kind at once (a relist), so a relist never shows a partial state. */
  replaceKind(kind: ResourceKind, objects: KubeObject[]): void {
    const map = this.maps[FIELD_BY_KIND[kind]];
    map.clear();
    for (const obj of objects) map.set(objectKey(obj), obj);
    this.changed();
  }

  snapshot(): Snapshot {
    if (!this.cached) {
      this.cached = {
        ingresses: new Map(this.maps.ingresses) as Map<string, Ingress>,
        ingressClasses: new Map(this.maps.ingressClasses) as Map<string, IngressClass>,
        services: new Map(this.maps.services) as Map<string, Service>,
        endpointSlices: new Map(this.maps.endpointSlices) as Map<string, EndpointSlice>,
        secrets: new Map(this.maps.secrets) as Map<string, Secret>,
        configMaps: new Map(this.maps.configMaps) as Map<string, ConfigMap>,
      };
    }
    return this.cached;
  }

  private changed(): void {
    this.version++;
    this.cached = undefined;
  }
}
