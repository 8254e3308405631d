// The API calls of the reporter, over client-node.
import { CoreV1Api, EventsV1Api, NetworkingV1Api, PatchStrategy, setHeaderOptions, type EventsV1Event, type KubeConfig } from '@kubernetes/client-node';
import { statusOf } from '../../kube/client.js';
import type { Ingress, Service } from '../../store/types.js';
import type { LoadBalancerIngress } from './status.js';

/** The API calls of the reporter (the real API, or fakes in unit tests). */
export interface ReporterApi {
  listIngresses(): Promise<Ingress[]>;
  readService(namespace: string, name: string): Promise<Service | undefined>;
  patchIngressStatus(namespace: string, name: string, addresses: LoadBalancerIngress[]): Promise<void>;
  createEvent(event: EventsV1Event): Promise<void>;
}

export function kubeReporterApi(kc: KubeConfig, watchNamespace?: string): ReporterApi {
  const net = kc.makeApiClient(NetworkingV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const events = kc.makeApiClient(EventsV1Api);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return {
    async listIngresses() {
      const list = watchNamespace ? await net.listNamespacedIngress({ namespace: watchNamespace }) : await net.listIngressForAllNamespaces();
      return JSON.parse(JSON.stringify(list.items ?? [])) as Ingress[];
    },
    async readService(namespace, name) {
      try {
        return JSON.parse(JSON.stringify(await core.readNamespacedService({ name, namespace }))) as Service;
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    async patchIngressStatus(namespace, name, addresses) {
      // A merge patch replaces the list as a whole; null removes it.
      const body = { status: { loadBalancer: { ingress: addresses.length > 0 ? addresses : null } } };
      await net.patchNamespacedIngressStatus({ name, namespace, body }, mergePatch);
    },
    async createEvent(event) {
      await events.createNamespacedEvent({ namespace: event.metadata?.namespace ?? 'default', body: event });
    },
  };
}
