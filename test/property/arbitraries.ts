/**
 * Bad input, generated: the arbitraries every property test of test/property draws from, the
 * two clients that send it (node:http for what Node lets through, a raw socket for what it
 * refuses to send), and the one verdict every answer must meet: a 4xx, in time, with a body that
 * names the problem. Each property runs its cases one after the other on a keep-alive agent, so
 * a hang or a dropped connection fails the case that caused it.
 */
import fc from 'fast-check';
import http from 'node:http';
import net from 'node:net';

/** How long one answer may take before the case counts as a hang. */
export const DEADLINE_MS = 10_000;

export interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string }

export interface Send {
  method?: string;
  path?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Send the body in chunks with Transfer-Encoding: chunked, no Content-Length. */
  chunked?: boolean;
}

/** One request with node:http, answered within the deadline or failed. */
export function send(port: number, agent: http.Agent | false, o: Send): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = o.body === undefined ? undefined : Buffer.from(o.body);
    const headers: Record<string, string | string[] | number> = { ...o.headers };
    if (body && !o.chunked) headers['content-length'] = body.length;
    const req = http.request({ host: '127.0.0.1', port, method: o.method ?? 'POST', path: o.path ?? '/', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }); });
      res.on('error', fail);
    });
    const timer = setTimeout(() => fail(new Error(`no answer within ${DEADLINE_MS} ms to ${o.method ?? 'POST'} ${o.path}`)), DEADLINE_MS);
    function fail(e: Error) { clearTimeout(timer); req.destroy(); reject(e); }
    req.on('error', fail);
    if (body && o.chunked) {
      // Several chunks, so a server cannot learn the size from the first one.
      const step = Math.max(1, Math.ceil(body.length / 4));
      for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
      req.end();
    } else req.end(body);
  });
}

/**
 * Raw bytes on a fresh connection, for what node:http will not send (a broken request line, a
 * header with a control character, a bad chunk size). Resolves with the parsed answer once the
 * server has sent a whole one or closed; a reset after an answer arrived still counts as that answer.
 */
export function sendRaw(port: number, bytes: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = new PatientSocket().connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => done(new Error(`no answer within ${DEADLINE_MS} ms to ${JSON.stringify(String(bytes).slice(0, 80))}`)), DEADLINE_MS);
    function done(e?: Error) {
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseAnswer(got);
      if (parsed) resolve(parsed);
      else reject(e ?? new Error(`connection closed without an answer to ${JSON.stringify(String(bytes).slice(0, 80))}`));
    }
    socket.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      const a = parseAnswer(got);
      if (a && a.complete) done();
    });
    socket.on('end', () => done());
    socket.on('error', (e) => done(e));
    socket.write(bytes);
  });
}

/**
 * A client socket that, when the server stops reading (it answered a body it will not take, and
 * closed), drops the rest of what it was sending and still reads the answer, as curl does; Node
 * would destroy the socket on the write error, answer unread.
 */
class PatientSocket extends net.Socket {
  private deaf = false;
  override _write(chunk: unknown, encoding: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.deaf) return cb();
    super._write(chunk, encoding, (e) => {
      if (e && ['EPIPE', 'ECONNRESET'].includes((e as NodeJS.ErrnoException).code ?? '')) { this.deaf = true; return cb(); }
      cb(e);
    });
  }
}

/** A POST with a body as raw bytes, with a Content-Length or chunked, for bodies a server refuses mid-way. */
export function sendBody(port: number, o: { path: string; host?: string; headers: Record<string, string>; body: Buffer; chunked: boolean }): Promise<Answer> {
  const head = [`POST ${o.path} HTTP/1.1`, `host: ${o.host ?? '127.0.0.1'}`, 'connection: close',
    ...Object.entries(o.headers).map(([k, v]) => `${k}: ${v}`),
    o.chunked ? 'transfer-encoding: chunked' : `content-length: ${o.body.length}`].join('\r\n');
  if (!o.chunked) return sendRaw(port, Buffer.concat([Buffer.from(`${head}\r\n\r\n`), o.body]));
  const parts: Buffer[] = [Buffer.from(`${head}\r\n\r\n`)];
  const step = Math.max(1, Math.ceil(o.body.length / 4));
  for (let i = 0; i < o.body.length; i += step) {
    const c = o.body.subarray(i, i + step);
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return sendRaw(port, Buffer.concat(parts));
}

/** An HTTP/1.1 answer from bytes, `complete` once its body is all there; undefined until the head is. */
function parseAnswer(bytes: Buffer): (Answer & { complete: boolean }) | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1] ?? 0);
  const headers: http.IncomingHttpHeaders = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let rest = bytes.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const out: Buffer[] = [];
    for (;;) {
      const eol = rest.indexOf('\r\n');
      if (eol < 0) return { status, headers, body: Buffer.concat(out).toString('utf8'), complete: false };
      const size = parseInt(rest.subarray(0, eol).toString('latin1'), 16);
      if (size === 0) return { status, headers, body: Buffer.concat(out).toString('utf8'), complete: true };
      if (rest.length < eol + 2 + size) return { status, headers, body: Buffer.concat(out).toString('utf8'), complete: false };
      out.push(rest.subarray(eol + 2, eol + 2 + size));
      rest = rest.subarray(eol + 4 + size);
    }
  }
  const length = Number(headers['content-length'] ?? NaN);
  const complete = Number.isFinite(length) ? rest.length >= length : false;
  return { status, headers, body: rest.subarray(0, Number.isFinite(length) ? length : undefined).toString('utf8'), complete };
}

/**
 * The verdict on one answer to bad input: a 4xx (one of `allowed` if given), with a body that
 * matches `names` (the field, attribute or problem). Throws with the answer, so fast-check
 * prints it beside the counterexample and the seed.
 */
export function refused(a: Answer, names: RegExp, allowed?: readonly number[]): void {
  const ok = a.status >= 400 && a.status < 500 && (!allowed || allowed.includes(a.status)) && names.test(a.body);
  if (!ok) throw new Error(`expected a 4xx${allowed ? ` (${allowed.join('/')})` : ''} naming ${names}, got ${a.status} ${a.body.slice(0, 300)}`);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/** A JSON error body's `"field":"<name>"`, whatever characters the name holds. */
export const namesField = (name: string) => new RegExp(`"field":${escapeRegExp(JSON.stringify(name))}`);

/** Runs a property to its end and returns the number of cases, for the file's total. */
export async function check<T>(arb: fc.Arbitrary<T>, numRuns: number, predicate: (v: T) => Promise<void>): Promise<number> {
  await fc.assert(fc.asyncProperty(arb, predicate), {
    numRuns,
    endOnFailure: true,
    includeErrorInReport: true,
    // The seed and path come first in the report, the error last: a huge counterexample between
    // them is cut, not printed whole.
    asyncReporter: async (out) => {
      if (!out.failed) return;
      const msg = fc.defaultReportMessage(out) ?? 'property failed';
      throw new Error(msg.length > 4000 ? `${msg.slice(0, 2000)}\n[…]\n${msg.slice(-2000)}` : msg);
    },
  });
  return numRuns;
}

/** A keep-alive agent for one test file's cases. */
/**
 * GET `path`, answered with the head alone when it is a 200 (a watch or an event stream stays
 * open, so it is closed at once); any other answer is read whole.
 */
export function getUntilHead(port: number, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      if (res.statusCode === 200) { clearTimeout(timer); req.destroy(); return resolve({ status: 200, headers: res.headers, body: '' }); }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, headers: res.headers, body }); });
    });
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`no answer within ${DEADLINE_MS} ms to GET ${path}`)); }, DEADLINE_MS);
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

export const keepAlive = () => new http.Agent({ keepAlive: true, maxSockets: 4 });

// --- Generators -----------------------------------------------------------------------------

/** A percent sign that starts no valid escape, or an escape that is not UTF-8. */
export const badEscape = fc.constantFrom('%', '%z', '%zz', '%2', '%G1', '%%', '%e2%82', '%c0', '%ff', '%ed%a0%80', '%f8%88%80%80%80', '%-1', '%+2');

/** A path segment that holds a bad escape somewhere. */
export const badSegment = fc.tuple(fc.stringMatching(/^[a-z0-9-]{0,8}$/), badEscape, fc.stringMatching(/^[a-z0-9-]{0,8}$/))
  // `_` after the escape, so what follows cannot complete it (`%2` then `7` is a good `%27`).
  .map(([a, e, b]) => `${a}${e}_${b}`);

/** JSON values of every type, for a field that wants one type. */
export const anyJson = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null),
  fc.string({ maxLength: 20 }), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }));

/** Text that JSON.parse refuses: valid JSON cut short or with a stray character, or plain noise. */
export const brokenJson = fc.oneof(
  fc.json({ maxDepth: 3 }).filter((s) => s.length > 1).chain((s) => fc.integer({ min: 1, max: s.length - 1 }).map((n) => s.slice(0, n))),
  fc.tuple(fc.json({ maxDepth: 3 }), fc.constantFrom('}', ']', ',', ':', '"', '{', "'", 'NaN', '\u0000', 'undefined'))
    .chain(([s, junk]) => fc.integer({ min: 0, max: s.length }).map((i) => s.slice(0, i) + junk + s.slice(i))),
  fc.string({ minLength: 1, maxLength: 40 }),
).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } });

/**
 * JSON nested past any limit a service sets (512 here): arrays, objects or both. A case prints
 * as its shape, not its many kilobytes.
 */
export const deepJson = fc.record({
  depth: fc.integer({ min: 600, max: 8_000 }),
  kind: fc.constantFrom('array', 'object', 'mixed'),
}).map(({ depth, kind }) => {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    const obj = kind === 'object' || (kind === 'mixed' && i % 2 === 1);
    open += obj ? '{"a":' : '[';
    close = (obj ? '}' : ']') + close;
  }
  return Object.assign(new String(`${open}1${close}`), { [fc.toStringMethod]: () => `<JSON ${depth} levels deep (${kind})>` });
}).map((s) => s as unknown as string);

/** Methods Node parses, other than the ones a surface takes. */
export const methodsBut = (...allowed: string[]) => fc.constantFrom(...['GET', 'PUT', 'DELETE', 'PATCH', 'POST', 'OPTIONS', 'TRACE', 'PROPFIND', 'LOCK', 'MKCOL',
  'COPY', 'MOVE', 'PURGE', 'REPORT', 'SEARCH', 'SUBSCRIBE', 'UNLOCK'].filter((m) => !allowed.includes(m)));

/**
 * Request heads Node's parser refuses before any handler runs: a broken request line, an unknown
 * method, a header with a control character or no name, a bad chunk size, conflicting lengths,
 * a head past the size limit.
 */
export const malformedHead = (path: string, host = 'x') => fc.oneof(
  fc.constantFrom('GARBAGE', 'GET', '\u0001\u0002', 'POST / HTTP/9.9', 'POST  HTTP/1.1', 'BREW / HTTP/1.1', 'POST / HTTP/1.1 extra')
    .map((line) => `${line}\r\nhost: ${host}\r\n\r\n`),
  fc.constantFrom('x-a: b\u0000c', 'x-a: b\rc', ': no-name', 'x a: b', 'x-a:\u007f', 'content-length: -1', 'content-length: 1x',
    'content-length: 5\r\ncontent-length: 6', 'transfer-encoding: chunked\r\ncontent-length: 5')
    .map((h) => `POST ${path} HTTP/1.1\r\nhost: ${host}\r\n${h}\r\n\r\nhello`),
  fc.constantFrom('zz', '-1', '1;\u0000', 'fffffffffffffffff').map((size) => `POST ${path} HTTP/1.1\r\nhost: ${host}\r\ntransfer-encoding: chunked\r\n\r\n${size}\r\nabc\r\n0\r\n\r\n`),
  fc.integer({ min: 17, max: 64 }).map((kib) => `POST ${path} HTTP/1.1\r\nhost: ${host}\r\nx-big: ${'a'.repeat(kib * 1024)}\r\n\r\n`),
  fc.integer({ min: 300, max: 500 }).map((n) => `POST ${path} HTTP/1.1\r\nhost: ${host}\r\n${Array.from({ length: n }, (_, i) => `x-h${i}: ${'v'.repeat(60)}`).join('\r\n')}\r\n\r\n`),
);

// --- CloudEvents ----------------------------------------------------------------------------

/** A good binary-mode event's headers, for a receiver that takes any type (the Broker). */
export const GOOD = { 'ce-specversion': '1.0', 'ce-id': 'good', 'ce-source': '/test/property', 'ce-type': 'dev.test.good', 'content-type': 'application/json' };
export const STRUCTURED = { 'content-type': 'application/cloudevents+json' };

/** One thing wrong with a binary-mode event, and the attribute a refusal must name. */
export const binaryFault: fc.Arbitrary<{ headers: Record<string, string>; names: string }> = fc.oneof(
  fc.constantFrom('specversion', 'id', 'source', 'type').map((a) => {
    const headers: Record<string, string> = { ...GOOD };
    delete headers[`ce-${a}`];
    return { headers, names: a };
  }),
  fc.string({ maxLength: 8 }).filter((v) => v !== '1.0' && v !== '0.3')
    .map((v) => ({ headers: { ...GOOD, 'ce-specversion': encodeURIComponent(v) }, names: 'specversion' })),
  fc.constantFrom('id', 'type', 'subject').map((a) => ({ headers: { ...GOOD, [`ce-${a}`]: '' }, names: a })),
  fc.tuple(fc.constantFrom('id', 'source', 'type', 'subject', 'color'), badEscape)
    .map(([a, e]) => ({ headers: { ...GOOD, [`ce-${a}`]: `x${e}y` }, names: a })),
  fc.tuple(fc.constantFrom('id', 'source', 'type', 'subject'), fc.constantFrom('%00', '%01', '%1F', '%7F', '%C2%80', '%EF%BF%BE', '%ED%A0%80'))
    .map(([a, c]) => ({ headers: { ...GOOD, [`ce-${a}`]: `a${c}b` }, names: a })),
  fc.tuple(fc.constantFrom('id', 'subject', 'type'), fc.constantFrom('\u00e9', '\u00ff', '\u00c0\u00a0'))
    .map(([a, c]) => ({ headers: { ...GOOD, [`ce-${a}`]: `caf${c}` }, names: a })),
  fc.string({ maxLength: 12 }).filter((v) => !/^\d{4}-/.test(v))
    .map((v) => ({ headers: { ...GOOD, 'ce-time': encodeURIComponent(v) }, names: 'time' })),
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 13, max: 99 }))
    .map(([y, m]) => ({ headers: { ...GOOD, 'ce-time': `${String(y).padStart(4, '0')}-${m}-01T00:00:00Z` }, names: 'time' })),
  fc.stringMatching(/^[a-z/.]{0,10}$/).map((v) => ({ headers: { ...GOOD, 'ce-dataschema': v }, names: 'dataschema' })),
  fc.constantFrom('a%20b', '%zz', 'a b', 'http://[::1', '\\\\x').map((v) => ({ headers: { ...GOOD, 'ce-source': v }, names: 'source' })),
  fc.constantFrom('json', 'application/', '/json', 'a b/c', 'application/json; charset', 'application/json;;', 'text/plain; a="b')
    .map((v) => ({ headers: { ...GOOD, 'content-type': v }, names: 'datacontenttype' })),
  fc.stringMatching(/^[a-z0-9]{0,4}[_.-][a-z0-9_.-]{0,4}$/).map((n) => ({ headers: { ...GOOD, [`ce-${n}`]: 'x' }, names: n })),
  fc.constant({ headers: { ...GOOD, 'ce-data': 'x' }, names: 'data' }),
  fc.constant({ headers: { 'content-type': 'application/json' }, names: 'specversion' }),
  fc.constantFrom('application/cloudevents-batch+json', 'application/cloudevents-batch+json; charset=utf-8')
    .map((v) => ({ headers: { ...GOOD, 'content-type': v }, names: 'content-type' })),
);

export const EVENT = { specversion: '1.0', id: 's1', source: '/test/property', type: 'dev.test.good', datacontenttype: 'application/json', data: { ok: true } };

/** One thing wrong with a structured event, and the member a refusal must name. */
export const structuredFault: fc.Arbitrary<{ body: string; names: string }> = fc.oneof(
  fc.tuple(fc.constantFrom('specversion', 'id', 'source', 'type', 'time', 'subject', 'dataschema', 'datacontenttype'), anyJson.filter((v) => typeof v !== 'string' && v !== null))
    .map(([a, v]) => ({ body: JSON.stringify({ ...EVENT, [a]: v }), names: a })),
  fc.constantFrom('specversion', 'id', 'source', 'type').map((a) => ({ body: JSON.stringify({ ...EVENT, [a]: undefined }), names: a })),
  fc.tuple(fc.stringMatching(/^[a-z0-9]{1,8}$/).filter((n) => !(n in EVENT) && n !== 'data'), fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
    fc.oneof(fc.integer({ min: 2 ** 31, max: 2 ** 52 }), fc.integer({ min: -(2 ** 52), max: -(2 ** 31) - 1 })),
    fc.array(anyJson, { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), anyJson, { maxKeys: 2 }),
  )).map(([n, v]) => ({ body: JSON.stringify({ ...EVENT, [n]: v }), names: n })),
  fc.string({ minLength: 1, maxLength: 8 }).filter((n) => !/^[a-z0-9]+$/.test(n) && n !== 'data' && n !== 'data_base64')
    .map((n) => ({ body: JSON.stringify({ ...EVENT, [n]: 'x' }), names: n })),
  brokenJson.map((b) => ({ body: b, names: 'body' })),
  fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(anyJson, { maxLength: 3 }), fc.boolean())
    .map((v) => ({ body: JSON.stringify(v), names: 'body' })),
  fc.constant({ body: '', names: 'body' }),
  deepJson.map((d) => ({ body: JSON.stringify({ ...EVENT, data: 0 }).replace('"data":0', `"data":${d}`), names: 'data' })),
  deepJson.map((d) => ({ body: JSON.stringify({ ...EVENT, data: 0 }).replace('"data":0', `"extra":${d},"data":0`), names: 'data' })),
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0)
    .map((s) => ({ body: JSON.stringify({ ...EVENT, data: undefined, data_base64: s }), names: 'data_base64' })),
  fc.constant({ body: JSON.stringify({ ...EVENT, data_base64: 'AAAA' }), names: 'data_base64' }),
  anyJson.filter((v) => typeof v !== 'string').map((v) => ({ body: JSON.stringify({ ...EVENT, datacontenttype: 'text/plain', data: v }), names: 'data' })),
);

