import { servingServiceRules } from '../../lib/manifests/serving-rules.js';
import type { KubeObject } from '../../lib/kube/object.js';
import { Activator } from './activator.js';
import { checkReady } from './lifecycle.js';
import { ConcurrencyWindow } from './metrics.js';
import { revisionName, templateHash } from './names.js';
import { measure, pick, target } from './routing.js';
import { activate, decide } from './scaler.js';
import { revisionSettings } from './settings.js';
import type { Context, Revision, Service } from './state.js';

/**
 * A Service object coming in: rejected as Knative's webhook would, or turned into the Service
 * record and, for a changed `spec.template`, a new revision that starts scaling at once.
 */

export class ServingValidationError extends Error {
  constructor(readonly resource: string, readonly problems: string[]) {
    super(`${resource}: ${problems.join('; ')}`);
    this.name = 'ServingValidationError';
  }
}

export function applyService(ctx: Context, object: KubeObject): { revision: string; created: boolean } {
  if (ctx.stopping) throw new Error('serving is stopping');
  const namespace = object.metadata.namespace ?? 'default';
  const name = object.metadata.name;
  const problems: string[] = [];
  servingServiceRules(object as any, (field, message) => problems.push(`${field}: ${message}`));
  if (problems.length) throw new ServingValidationError(`Service ${namespace}/${name}`, problems);

  const key = `${namespace}/${name}`;
  const traffic = object.spec?.traffic;
  if (Array.isArray(traffic) && !(traffic.length === 1 && traffic[0]?.latestRevision !== false && !traffic[0]?.revisionName && (traffic[0]?.percent ?? 100) === 100)) {
    ctx.log.warn({ service: key }, 'spec.traffic splits and tags are not emulated locally: 100% goes to the latest ready revision');
  }
  let svc = ctx.services.get(key);
  const template = object.spec.template;
  const hash = templateHash(template);
  if (svc && svc.hash === hash) {
    svc.object = object; // labels (visibility) may change without a new revision
    ctx.events.emit('change');
    return { revision: svc.revisions.at(-1)!.name, created: false };
  }
  const byo = template?.metadata?.name as string | undefined;
  if (svc && byo && svc.revisions.some((r) => r.name === byo)) {
    throw new ServingValidationError(`Service ${key}`, [`spec.template.metadata.name: Saw the following changes without a name change (-old +new) in revision "${byo}"`]);
  }
  if (!svc) {
    svc = newService(ctx, namespace, name, object, hash);
    ctx.services.set(key, svc);
  }
  svc.object = object;
  svc.hash = hash;
  svc.generation++;
  const now = Date.now();
  const rev = newRevision(ctx, svc, template, byo, now);
  svc.revisions.push(rev);
  forgetOldRevisions(svc);
  ctx.log.info({ service: key, revision: rev.name }, 'revision created');
  ctx.opts.record?.({ kind: 'Service', namespace, name, type: 'Normal', reason: 'Created', message: `Created Revision "${rev.name}"` });
  decide(ctx, svc, rev, now);
  checkReady(ctx, svc, rev);
  ctx.events.emit('change');
  return { revision: rev.name, created: true };
}

/**
 * Revisions kept besides the routed and the latest one, as Knative's config-gc keeps at least
 * `min-non-active-revisions` (20): a Service rolled every minute (scale-workers' Random mode)
 * would otherwise hold every revision it ever had. Older ones without pods are forgotten, as
 * Knative's GC deletes them; their Revision objects go from the API with them.
 */
export const RETAINED_REVISIONS = 20;

export function forgetOldRevisions(svc: Pick<Service, 'revisions' | 'routed'>): void {
  const idle = svc.revisions.filter((r) => r !== svc.routed && r !== svc.revisions.at(-1) && r.pods.size === 0);
  const drop = new Set(idle.slice(0, Math.max(0, idle.length - RETAINED_REVISIONS)));
  if (!drop.size) return;
  for (const r of drop) clearTimeout(r.retryTimer);
  svc.revisions = svc.revisions.filter((r) => !drop.has(r));
}

/** A Service record with its activator, wired to the Service's routing and scale-from-zero. */
function newService(ctx: Context, namespace: string, name: string, object: KubeObject, hash: string): Service {
  const svc: Service = {
    namespace, name, object, hash, generation: 0, revisions: [], removed: false,
    activator: undefined as unknown as Activator,
  };
  svc.activator = new Activator({
    pick: () => pick(svc),
    timeoutMs: () => target(svc)!.settings.timeoutMs,
    changed: () => measure(svc),
    demand: () => activate(ctx, svc),
  }, ctx.agent, ctx.opts.queueLimit);
  return svc;
}

/** The revision for the Service's current generation; warns about what of it does not run locally. */
function newRevision(ctx: Context, svc: Service, template: any, byo: string | undefined, now: number): Revision {
  const settings = revisionSettings(template, ctx.opts.stableWindowMs);
  const containers: any[] = template?.spec?.containers ?? [];
  const rev: Revision = {
    name: byo ?? revisionName(svc.name, svc.generation),
    generation: svc.generation,
    template,
    container: containers.find((c) => Array.isArray(c?.ports) && c.ports.length > 0) ?? containers[0],
    settings,
    createdAt: now,
    pods: new Set(),
    desired: 0,
    window: new ConcurrencyWindow(now),
    panic: { maxPods: 0 },
    initialScaleReached: false,
    isReady: false,
    failures: 0,
    retryAt: 0,
  };
  for (const w of settings.warnings) ctx.log.warn({ revision: rev.name }, w);
  if (containers.length > 1) ctx.log.warn({ revision: rev.name }, 'only the serving container runs locally; sidecars are not started');
  return rev;
}
