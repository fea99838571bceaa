/**
 * How many workers to run: the scaling rule of the PingPongTable, pure. Random mode picks a
 * count in [min, max] on each shuffle tick and, on a table change, only brings a scale that the
 * new bounds exclude back inside them; Fixed mode is always its replicas. Level-based: the same
 * input gives the same answer, so a repeated event changes nothing.
 */
export type Random = () => number;

export interface WorkersSpec { mode: 'Random' | 'Fixed'; min: number; max: number; replicas?: number }

/** Why the count is what it is, as `workers.scaled` reports it. */
export type ScaleReason = 'fixed' | 'shuffle' | 'bounds';

export interface Decision { to: number; reason: ScaleReason }

/** The scale a Service's template sets now: min-scale and max-scale, where they are numbers. */
export interface TemplateScale { min?: number; max?: number }

/**
 * `scale` is what the forward template sets now; `cause` is what woke scale-workers. Undefined
 * means leave it: in Random mode a table change corrects only a count the new bounds exclude, and
 * an autoscaled range already inside them (the shipped forward, 2 to 5) waits for the next tick.
 */
export function decideWorkers(spec: WorkersSpec, scale: TemplateScale, cause: 'tick' | 'table', random: Random): Decision | undefined {
  if (spec.mode === 'Fixed') return { to: spec.replicas ?? spec.min, reason: 'fixed' };
  if (cause === 'table' && scale.min !== undefined) {
    const pinned = scale.min === scale.max ? scale.min : undefined;
    const inside = (n: number | undefined) => n !== undefined && n >= spec.min && n <= spec.max;
    if (pinned !== undefined) return inside(pinned) ? undefined : { to: Math.min(spec.max, Math.max(spec.min, pinned)), reason: 'bounds' };
    if (inside(scale.min) && inside(scale.max)) return undefined;
  }
  return { to: spec.min + Math.floor(random() * (spec.max - spec.min + 1)), reason: 'shuffle' };
}

const MIN_SCALE = 'autoscaling.knative.dev/min-scale';
const MAX_SCALE = 'autoscaling.knative.dev/max-scale';

const count = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);

/** min-scale and max-scale as a template's annotations set them. */
export function templateScale(annotations: Readonly<Record<string, string>> | undefined): TemplateScale {
  const min = count(annotations?.[MIN_SCALE]);
  const max = count(annotations?.[MAX_SCALE]);
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

/** The count a scale pins (min = max), else undefined. */
export const pinnedCount = (s: TemplateScale): number | undefined => (s.min !== undefined && s.min === s.max ? s.min : undefined);

/** The merge patch that pins the template at `n` workers: a new Revision, whose pods replace the old. */
export const pinPatch = (n: number) => ({ spec: { template: { metadata: { annotations: { [MIN_SCALE]: String(n), [MAX_SCALE]: String(n) } } } } });
