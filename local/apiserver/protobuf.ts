/**
 * Reads the few Kubernetes protobuf bodies this server accepts. kubectl sends built-in types as
 * `application/vnd.kubernetes.protobuf` with no JSON fallback (e.g. `kubectl auth can-i` posts a
 * SelfSubjectAccessReview so), so those kinds are decoded here from their field numbers
 * (k8s.io/api generated.proto); any other kind is 415, and answers are always JSON.
 */
import { errors } from './status.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** Field number → name, and a nested schema for message fields (strings otherwise). */
type Schema = { [field: number]: [string, Schema?] };

const RESOURCE_ATTRIBUTES: Schema = { 1: ['namespace'], 2: ['verb'], 3: ['group'], 4: ['version'], 5: ['resource'], 6: ['subresource'], 7: ['name'] };
const NON_RESOURCE_ATTRIBUTES: Schema = { 1: ['path'], 2: ['verb'] };
/** The kinds understood, by `<apiVersion>/<kind>`; metadata (field 1) is not needed and skipped. */
const KINDS: Record<string, Schema> = {
  'authorization.k8s.io/v1/SelfSubjectAccessReview': { 2: ['spec', { 1: ['resourceAttributes', RESOURCE_ATTRIBUTES], 2: ['nonResourceAttributes', NON_RESOURCE_ATTRIBUTES] }] },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': { 2: ['spec', { 1: ['namespace'] }] },
};
const UNKNOWN: Schema = { 1: ['typeMeta', { 1: ['apiVersion'], 2: ['kind'] }], 2: ['raw'], 4: ['contentType'] };
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

/** Decodes the fields of one message; `raw` keeps bytes for the envelope's payload. */
function decode(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let i = 0;
  const varint = (): number => {
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      if (i >= buf.length || shift > 49) throw errors.badRequest('malformed protobuf body');
      const b = buf[i++]!;
      n += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return n;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0: varint(); break;
      case 1: i += 8; break;
      case 5: i += 4; break;
      case 2: {
        const len = varint();
        const bytes = buf.subarray(i, i + len);
        if (bytes.length !== len) throw errors.badRequest('malformed protobuf body');
        i += len;
        const known = schema[field];
        if (!known) break;
        const [name, nested] = known;
        out[name] = nested ? decode(bytes, nested) : name === 'raw' ? bytes : bytes.toString('utf8');
        break;
      }
      default: throw errors.badRequest('malformed protobuf body');
    }
  }
  return out;
}

/** A `k8s\0`-framed protobuf body as the JSON object it stands for; 415 for kinds not known here. */
export function decodeProtobufObject(body: Buffer): KubeObject {
  if (!body.subarray(0, 4).equals(MAGIC)) throw errors.badRequest('protobuf body without the k8s magic prefix');
  const env = decode(body.subarray(4), UNKNOWN) as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Buffer };
  const apiVersion = env.typeMeta?.apiVersion ?? '';
  const kind = env.typeMeta?.kind ?? '';
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (!schema) throw errors.unsupportedMediaType(`application/vnd.kubernetes.protobuf (${apiVersion} ${kind})`);
  return { apiVersion, kind, metadata: { name: '' }, ...decode(env.raw ?? Buffer.alloc(0), schema) };
}
