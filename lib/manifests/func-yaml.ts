import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import schema from './schemas/func-yaml.schema.json' with { type: 'json' };
import { fromPointer, join } from './paths.js';
import type { ManifestProblem } from './types.js';

// ajv-formats is CommonJS with a default export; under NodeNext its default arrives one level down.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const check = ajv.compile(schema);

/**
 * Checks a parsed func.yaml against the project's schema of what `kn func` reads
 * (schemas/func-yaml.schema.json). Problems name the field; `resource` is `func.yaml/<name>`.
 */
export function validateFuncYaml(doc: unknown, file: string): ManifestProblem[] {
  if (check(doc)) return [];
  const name = typeof (doc as { name?: unknown })?.name === 'string' ? (doc as { name: string }).name : '?';
  return (check.errors ?? []).filter(relevant).map((e) => ({
    file, resource: `func.yaml/${name}`, field: fieldOf(e), message: messageOf(e),
  }));
}

/** Reads and checks one func.yaml file. */
export async function checkFuncYamlFile(file: string): Promise<ManifestProblem[]> {
  let doc: unknown;
  try { doc = parse(await readFile(file, 'utf8')); } catch (err) {
    return [{ file, resource: 'func.yaml/?', field: '', message: (err as Error).message }];
  }
  return validateFuncYaml(doc, file);
}

// The wrapper errors of `not`/`propertyNames` repeat what their inner error says.
const relevant = (e: ErrorObject) => e.keyword !== 'if';

function fieldOf(e: ErrorObject): string {
  const base = fromPointer(e.instancePath);
  if (e.keyword === 'required') return join(base, String(e.params.missingProperty));
  if (e.keyword === 'additionalProperties') return join(base, String(e.params.additionalProperty));
  if (e.keyword === 'propertyNames' || (e.keyword === 'not' && e.params.propertyName)) return join(base, String(e.params.propertyName));
  return base;
}

function messageOf(e: ErrorObject): string {
  switch (e.keyword) {
    case 'required': return 'is required';
    case 'additionalProperties': return 'unknown field';
    case 'propertyNames': return 'autoscaling annotations do not belong in deploy.annotations (func copies them onto the Service metadata, which Knative rejects): use deploy.options.scale';
    case 'enum': return `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
    default: return e.message ?? 'is invalid';
  }
}
