import { parseGoDuration } from './durations.js';
import { isObject, join, type At } from './paths.js';
import type { KubeObject } from '../kube/object.js';

/** The prefix of Knative's autoscaling annotations (SRV pkg/apis/autoscaling/register.go). */
export const AUTOSCALING_PREFIX = 'autoscaling.knative.dev/';

/** Env names Knative sets itself (SRV pkg/apis/serving/k8s_validation.go). */
export const RESERVED_ENV = ['PORT', 'K_SERVICE', 'K_CONFIGURATION', 'K_REVISION'] as const;
/** Ports the queue-proxy and Knative's sidecars use (SRV pkg/networking/constants.go). */
export const RESERVED_PORTS = [8012, 8013, 8022, 9090, 9091, 8008] as const;
/** max-revision-timeout-seconds and container-concurrency-max-limit defaults (config-defaults). */
export const MAX_TIMEOUT_SECONDS = 600;
export const MAX_CONTAINER_CONCURRENCY = 1000;

const KPA = 'kpa.autoscaling.knative.dev';
const HPA = 'hpa.autoscaling.knative.dev';

const int = (v: string) => (/^\d+$/.test(v) ? Number(v) : undefined);
const float = (v: string) => (/^-?(\d+(\.\d*)?|\.\d+)$/.test(v) ? Number(v) : undefined);

/** The annotation keys, each with its legacy camelCase alias (REFERENCE 1.3). */
const ALIASES: Record<string, string> = { minScale: 'min-scale', maxScale: 'max-scale', initialScale: 'initial-scale' };
const KNOWN = new Set(['class', 'min-scale', 'max-scale', 'initial-scale', 'activation-scale', 'target',
  'target-utilization-percentage', 'metric', 'window', 'panic-window-percentage', 'panic-threshold-percentage',
  'scale-to-zero-pod-retention-period', 'scale-down-delay', 'target-burst-capacity', 'metric-aggregation-algorithm']);

/** Knative Service (serving.knative.dev/v1) webhook rules beyond the schema. */
export function servingServiceRules(obj: KubeObject, at: At): void {
  const name = obj.metadata?.name;
  if (typeof name === 'string' && !/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    at('metadata.name', 'must be a DNS-1035 label (lowercase letters, digits, "-", starting with a letter, at most 63 characters)');
  }
  // Autoscaling on the Service's own metadata does nothing and is rejected (metadata_validation.go).
  for (const key of Object.keys(obj.metadata?.annotations ?? {})) {
    if (key.startsWith(AUTOSCALING_PREFIX)) {
      at(join('metadata.annotations', key), 'autoscaling annotations must be put under "spec.template.metadata.annotations" to work');
    }
  }
  const template = obj.spec?.template;
  if (!isObject(template)) return;
  const tname = template.metadata?.name;
  if (typeof tname === 'string' && typeof name === 'string' && !tname.startsWith(`${name}-`)) {
    at('spec.template.metadata.name', `a revision name must start with "${name}-"`);
  }
  autoscalingAnnotations(template.metadata?.annotations ?? {}, 'spec.template.metadata.annotations', at);
  const spec = template.spec;
  if (!isObject(spec)) return;
  const cc = spec.containerConcurrency;
  if (typeof cc === 'number' && (cc < 0 || cc > MAX_CONTAINER_CONCURRENCY)) {
    at('spec.template.spec.containerConcurrency', `must be between 0 and ${MAX_CONTAINER_CONCURRENCY} (0 = unlimited)`);
  }
  for (const f of ['timeoutSeconds', 'responseStartTimeoutSeconds', 'idleTimeoutSeconds'] as const) {
    const v = spec[f];
    if (typeof v === 'number' && (v < 0 || v > MAX_TIMEOUT_SECONDS)) {
      at(join('spec.template.spec', f), `must be between 0 and ${MAX_TIMEOUT_SECONDS} seconds (max-revision-timeout-seconds)`);
    }
  }
  const containers: unknown[] = Array.isArray(spec.containers) ? spec.containers : [];
  if (containers.length === 0) at('spec.template.spec.containers', 'needs at least one container');
  let servingPorts = 0;
  containers.forEach((c, i) => {
    if (!isObject(c)) return;
    const path = join('spec.template.spec.containers', i);
    if (c.name === 'queue-proxy') at(join(path, 'name'), '"queue-proxy" is reserved');
    (Array.isArray(c.env) ? c.env : []).forEach((e: unknown, j: number) => {
      if (isObject(e) && (RESERVED_ENV as readonly string[]).includes(e.name)) {
        at(join(join(path, 'env'), j) + '.name', `"${e.name}" is a reserved environment variable (Knative sets ${RESERVED_ENV.join(', ')})`);
      }
    });
    const ports: unknown[] = Array.isArray(c.ports) ? c.ports : [];
    servingPorts += ports.length;
    if (ports.length > 1) at(join(path, 'ports'), 'only one port may be specified (the one the function listens on)');
    ports.forEach((p, j) => {
      if (!isObject(p)) return;
      const pp = join(join(path, 'ports'), j);
      if ((RESERVED_PORTS as readonly number[]).includes(p.containerPort)) at(`${pp}.containerPort`, `${p.containerPort} is reserved by Knative (${RESERVED_PORTS.join(', ')})`);
      if (p.name !== undefined && p.name !== 'http1' && p.name !== 'h2c') at(`${pp}.name`, 'must be "http1" or "h2c"');
    });
  });
  if (servingPorts > 1) at('spec.template.spec.containers', 'exactly one container may name a port (the serving container)');
}

/** Validates template autoscaling annotations against REFERENCE 1.3's table. */
export function autoscalingAnnotations(annotations: Record<string, unknown>, path: string, at: At): void {
  const values = new Map<string, { value: string; field: string }>();
  for (const [key, raw] of Object.entries(annotations)) {
    if (!key.startsWith(AUTOSCALING_PREFIX)) continue;
    const field = join(path, key);
    const short = key.slice(AUTOSCALING_PREFIX.length);
    const canonical = ALIASES[short] ?? short;
    if (!KNOWN.has(canonical)) { at(field, `unknown autoscaling annotation (known: ${[...KNOWN].join(', ')})`); continue; }
    if (values.has(canonical)) { at(field, `duplicates ${AUTOSCALING_PREFIX}${canonical} (legacy and current key both set)`); continue; }
    values.set(canonical, { value: String(raw), field });
  }
  const get = (k: string) => values.get(k);
  const cls = get('class')?.value ?? KPA;
  const check = (k: string, parse: (v: string) => number | undefined, ok: (n: number) => boolean, want: string): number | undefined => {
    const a = get(k);
    if (!a) return undefined;
    const n = parse(a.value);
    if (n === undefined || !ok(n)) { at(a.field, `must be ${want}, got "${a.value}"`); return undefined; }
    return n;
  };
  const c = get('class');
  if (c && c.value !== KPA && c.value !== HPA && c.value.endsWith('.knative.dev')) at(c.field, `must be ${KPA} or ${HPA}, got "${c.value}"`);
  const min = check('min-scale', int, () => true, 'an integer ≥ 0');
  const max = check('max-scale', int, () => true, 'an integer ≥ 0 (0 = unlimited)');
  if (min !== undefined && max !== undefined && max !== 0 && max < min) {
    at(get('max-scale')!.field, `max-scale (${max}) must be ≥ min-scale (${min}), or 0 for unlimited`);
  }
  // allow-zero-initial-scale is false by default (config-autoscaler).
  check('initial-scale', int, (n) => n >= 1, 'an integer ≥ 1 (0 needs allow-zero-initial-scale)');
  const act = check('activation-scale', int, (n) => n >= 2, 'an integer ≥ 2');
  if (act !== undefined && ((min !== undefined && act < min) || (max !== undefined && max !== 0 && act > max))) {
    at(get('activation-scale')!.field, 'must lie between min-scale and max-scale');
  }
  check('target', float, (n) => n >= 0.01, 'a number ≥ 0.01');
  check('target-utilization-percentage', float, (n) => n >= 1 && n <= 100, 'a number from 1 to 100');
  const metric = get('metric');
  if (metric) {
    if (cls === KPA && metric.value !== 'concurrency' && metric.value !== 'rps') at(metric.field, `must be "concurrency" or "rps" with the KPA class, got "${metric.value}"`);
    if (metric.value === '') at(metric.field, 'must not be empty');
  }
  const win = get('window');
  if (win && cls === HPA) at(win.field, 'window applies to the KPA class only');
  check('window', parseGoDuration, (s) => s >= 6 && s <= 3600 && Number.isInteger(s), 'a duration from 6s to 1h in whole seconds (e.g. "60s")');
  check('panic-window-percentage', float, (n) => n >= 1 && n <= 100, 'a number from 1.0 to 100.0');
  check('panic-threshold-percentage', float, (n) => n >= 110 && n <= 1000, 'a number from 110.0 to 1000.0');
  check('scale-to-zero-pod-retention-period', parseGoDuration, (s) => s >= 0 && s <= 3600, 'a duration from 0s to 1h');
  check('scale-down-delay', parseGoDuration, (s) => s >= 0 && s <= 3600 && Number.isInteger(s), 'a duration from 0s to 1h in whole seconds');
  check('target-burst-capacity', float, (n) => n === -1 || n >= 0, '-1 (unlimited) or a number ≥ 0');
  const alg = get('metric-aggregation-algorithm');
  if (alg && !['linear', 'weighted-exponential', 'weightedExponential'].includes(alg.value)) {
    at(alg.field, `must be linear or weighted-exponential, got "${alg.value}"`);
  }
}
