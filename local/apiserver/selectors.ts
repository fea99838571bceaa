/**
 * Label and field selectors, parsed, matched and printed as k8s.io/apimachinery does (`labels.Parse`,
 * `fields.ParseSelector`). Pure: a bad selector throws an ApiError 400 naming what is wrong.
 */
import { errors } from './status.js';

/** One label requirement; `values` is empty for exists / does-not-exist. */
export interface LabelRequirement {
  key: string;
  op: 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
  values: string[];
}

/** One field requirement: `key=value`, `key==value` or `key!=value`. */
export interface FieldRequirement { key: string; op: '=' | '!='; value: string }

type Token = { kind: 'id'; text: string } | { kind: 'op'; text: '!' | '=' | '==' | '!=' | '(' | ')' | ',' | '<' | '>' };

/** Splits a label selector into identifiers and operators; whitespace only separates. */
function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const special = '!=(),<> \t\n';
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n') { i++; continue; }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '!=') { out.push({ kind: 'op', text: two }); i += 2; continue; }
    if ('!=(),<>'.includes(c)) { out.push({ kind: 'op', text: c } as Token); i++; continue; }
    let j = i;
    while (j < src.length && !special.includes(src[j]!)) j++;
    out.push({ kind: 'id', text: src.slice(i, j) });
    i = j;
  }
  return out;
}

/** Parses a label selector such as `app=forward,tier in (a,b),!canary`; '' selects everything. */
export function parseLabelSelector(src: string): LabelRequirement[] {
  const toks = tokenize(src);
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const fail = (why: string): never => { throw errors.badRequest(`unable to parse requirement: ${why} in label selector "${src}"`); };
  const peek = () => toks[i];
  const isOp = (t: Token | undefined, text: string) => t?.kind === 'op' && t.text === text;
  const ident = (what: string): string => {
    const t = toks[i];
    if (t?.kind !== 'id') return fail(`expected ${what}`);
    i++;
    return t.text;
  };
  /** A single value may be empty (`a=` selects the empty value), as in Kubernetes. */
  const value = (): string => {
    const t = peek();
    if (t === undefined || isOp(t, ',')) return '';
    return ident('a value');
  };
  const set = (): string[] => {
    if (!isOp(peek(), '(')) fail('expected "(" after in/notin');
    i++;
    const vals: string[] = [];
    for (;;) {
      const t = peek();
      if (isOp(t, ')')) { i++; break; }
      if (t?.kind === 'id') { vals.push(t.text); i++; } else if (isOp(t, ',')) { vals.push(''); } else fail('unterminated value set');
      if (isOp(peek(), ',')) i++;
      else if (!isOp(peek(), ')')) fail('expected "," or ")" in value set');
    }
    return vals.length ? vals : [''];
  };
  while (i < toks.length) {
    let req: LabelRequirement;
    if (isOp(peek(), '!')) {
      i++;
      req = { key: ident('a key after "!"'), op: '!', values: [] };
    } else {
      const key = ident('a key');
      const t = peek();
      if (t === undefined || isOp(t, ',')) req = { key, op: 'exists', values: [] };
      else if (isOp(t, '=') || isOp(t, '==')) { i++; req = { key, op: '=', values: [value()] }; }
      else if (isOp(t, '!=')) { i++; req = { key, op: '!=', values: [value()] }; }
      else if (isOp(t, '>') || isOp(t, '<')) {
        i++;
        const v = ident('an integer');
        if (!/^-?\d+$/.test(v)) fail(`"${v}" is not an integer`);
        req = { key, op: t.text === '>' ? 'gt' : 'lt', values: [v] };
      } else if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) { i++; req = { key, op: t.text, values: set() }; }
      else return fail(`found "${t.text}", expected one of: in, notin, =, ==, !=, >, <`);
    }
    if (!/^([a-z0-9A-Z.\-_]+\/)?[a-z0-9A-Z]([a-z0-9A-Z._-]*[a-z0-9A-Z])?$/.test(req.key)) fail(`invalid label key "${req.key}"`);
    reqs.push(req);
    if (i < toks.length) {
      if (!isOp(peek(), ',')) fail('expected ","');
      i++;
      if (i >= toks.length) fail('trailing ","');
    }
  }
  return reqs;
}

/** True when the labels satisfy every requirement (`!=` and `notin` also match a missing key). */
export function matchLabels(reqs: readonly LabelRequirement[], labels: Readonly<Record<string, string>> = {}): boolean {
  return reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'exists': return has;
      case '!': return !has;
      case '=': case 'in': return has && r.values.includes(v!);
      case '!=': case 'notin': return !has || !r.values.includes(v!);
      case 'gt': case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        return r.op === 'gt' ? Number(v) > Number(r.values[0]) : Number(v) < Number(r.values[0]);
      }
    }
  });
}

/** Splits on `sep` where it is not escaped by a backslash. */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) { cur += s[i]! + s[i + 1]!; i++; continue; }
    if (s.startsWith(sep, i)) { parts.push(cur); cur = ''; i += sep.length - 1; continue; }
    cur += s[i]!;
  }
  parts.push(cur);
  return parts;
}

const unescape = (s: string) => s.replace(/\\(.)/g, '$1');

/** Parses a field selector such as `metadata.name=a,status.phase!=Failed` ('' selects everything). */
export function parseFieldSelector(src: string): FieldRequirement[] {
  if (src.trim() === '') return [];
  return splitUnescaped(src, ',').map((term) => {
    // Kubernetes tries the operators in this order, so `a!=b` is never read as `a!` = `b`.
    for (const op of ['!=', '==', '='] as const) {
      const parts = splitUnescaped(term, op);
      if (parts.length >= 2) {
        const key = parts[0]!.trim();
        if (!key) throw errors.badRequest(`invalid field selector: "${term}" has no field`);
        return { key, op: op === '!=' ? '!=' : '=', value: unescape(parts.slice(1).join(op)) };
      }
    }
    throw errors.badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
  });
}

/** True when the object's selectable fields satisfy every requirement. */
export function matchFields(reqs: readonly FieldRequirement[], fields: Readonly<Record<string, string>>): boolean {
  return reqs.every((r) => (r.op === '=' ? fields[r.key] === r.value : fields[r.key] !== r.value));
}

/** Rejects a field the resource does not index, with the API server's message. */
export function checkFieldKeys(reqs: readonly FieldRequirement[], supported: readonly string[]): void {
  for (const r of reqs) if (!supported.includes(r.key)) throw errors.badRequest(`field label not supported: ${r.key}`);
}

/** A label selector as kubectl shows one (metav1.FormatLabelSelector): `<none>` when it selects every pod. */
export function formatLabelSelector(sel: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined): string {
  const parts = [
    ...Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(sel?.matchExpressions ?? []).map((e) => {
      const values = `(${(e.values ?? []).join(',')})`;
      switch (e.operator) {
        case 'In': return `${e.key} in ${values}`;
        case 'NotIn': return `${e.key} notin ${values}`;
        case 'Exists': return e.key;
        case 'DoesNotExist': return `!${e.key}`;
        default: return `${e.key} ${e.operator} ${values}`;
      }
    }),
  ];
  return parts.length ? parts.join(',') : '<none>';
}
