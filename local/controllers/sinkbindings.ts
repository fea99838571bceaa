/**
 * The SinkBinding controller: as Knative's binding webhook does, it injects K_SINK (the sink's
 * address) and K_CE_OVERRIDES into its subject's pod template — a Knative Service named or
 * selected — so the subject rolls a new revision when the sink changes; its status says whether
 * the sink resolves. Run before the Service controller at start, so the first revision has it.
 */
import type { ObjectStore } from '../apiserver/index.js';
import type { Destination, Resolve } from '../types.js';
import { failed, ok, withReady } from './conditions.js';
import { resolveExisting, type EventingStores } from './eventing.js';
import { watchAll } from './watch-all.js';
import { writeStatus } from './status-writer.js';
import type { KubeObject } from '../../lib/kube/object.js';

interface EnvVar { name: string; value?: string; [k: string]: unknown }
interface Subject { apiVersion?: string; kind?: string; name?: string; namespace?: string; selector?: { matchLabels?: Record<string, string> } }

const INJECTED = ['K_SINK', 'K_CE_OVERRIDES'];

function subjects(binding: KubeObject, services: ObjectStore): KubeObject[] {
  const subject = ((binding.spec as { subject?: Subject }).subject ?? {});
  if (subject.kind !== 'Service' || !String(subject.apiVersion).startsWith('serving.knative.dev/')) return [];
  const ns = subject.namespace ?? binding.metadata.namespace ?? 'default';
  if (subject.name) return [services.get(ns, subject.name)].filter((s): s is KubeObject => !!s);
  const want = Object.entries(subject.selector?.matchLabels ?? {});
  if (!want.length) return [];
  return services.list(ns).items.filter((s) => want.every(([k, v]) => s.metadata.labels?.[k] === v));
}

/** The Service with the binding's env on every container, or undefined when it already has it. */
export function injected(service: KubeObject, env: EnvVar[]): KubeObject | undefined {
  const template = ((service.spec as { template?: { spec?: { containers?: { env?: EnvVar[] }[] } } }).template ?? {});
  const containers = template.spec?.containers ?? [];
  let changed = false;
  const next = containers.map((c) => {
    const kept = (c.env ?? []).filter((e) => !INJECTED.includes(e.name));
    const merged = [...kept, ...env];
    if (JSON.stringify(merged) !== JSON.stringify(c.env ?? [])) changed = true;
    return { ...c, env: merged };
  });
  if (!changed) return undefined;
  return { ...service, spec: { ...(service.spec as object), template: { ...template, spec: { ...template.spec, containers: next } } } };
}

export function startSinkBindingController(bindings: ObjectStore, stores: EventingStores, resolve: Resolve): () => void {
  return watchAll([bindings, stores.services, stores.brokers], () => {
    for (const b of bindings.list().items) {
      const ns = b.metadata.namespace ?? 'default';
      const spec = b.spec as { sink?: Destination; ceOverrides?: unknown };
      // The address pods use (this machine's), not the cluster-style name shown elsewhere.
      const known = resolveExisting(spec.sink, ns, resolve, stores);
      const target = known && spec.sink ? resolve(spec.sink, ns) : undefined;
      const bound = subjects(b, stores.services);
      if (target) {
        const env: EnvVar[] = [{ name: 'K_SINK', value: target.url }, { name: 'K_CE_OVERRIDES', value: spec.ceOverrides ? JSON.stringify(spec.ceOverrides) : '' }];
        for (const s of bound) {
          const next = injected(s, env);
          if (next) stores.services.put({ ...next, metadata: { ...next.metadata, generation: Number(s.metadata.generation ?? 1) + 1 } });
        }
      }
      writeStatus(bindings, b, {
        conditions: withReady([
          target ? ok('SinkProvided') : failed('SinkProvided', 'NotFound', 'the sink does not resolve to an addressable'),
          bound.length ? ok('BindingAvailable') : failed('BindingAvailable', 'SubjectMissing', 'no Knative Service matches the subject'),
        ]),
        ...(target ? { sinkUri: target.url } : {}),
      });
    }
  });
}
