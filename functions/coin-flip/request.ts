import { CoinFlipRequested, MAX_HEADS } from '../../lib/contract/index.js';
import { BadRequest, badRequest } from '../../lib/cloudevents/errors.js';

const FIELD = 'heads';
const SHAPE = `the body is exactly {"heads": N} with N an integer from 1 to ${MAX_HEADS}`;

/**
 * Reads the body of `POST /compute`: JSON (`application/json`, any case, parameters allowed) that
 * is exactly `{"heads": N}`, validated by the contract's own schema. Every problem is reported on
 * `heads`, the one field a caller can fix; the message says what was wrong.
 */
export function parseComputeRequest(req: { headers: Record<string, string | undefined>; body: string }): number {
  const contentType = Object.entries(req.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  if (media !== 'application/json') {
    throw badRequest(FIELD, `content type must be application/json (got "${contentType}"); ${SHAPE}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(req.body);
  } catch {
    throw badRequest(FIELD, `request body is not valid JSON; ${SHAPE}`);
  }
  const parsed = CoinFlipRequested.safeParse(value);
  if (parsed.success) return parsed.data.heads;
  throw new BadRequest(parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { field: FIELD, message: `unexpected key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; ${SHAPE}` };
    }
    if (issue.path.length === 0) return { field: FIELD, message: `${issue.message}; ${SHAPE}` };
    return { field: FIELD, message: `${issue.message} (${SHAPE})` };
  }));
}
