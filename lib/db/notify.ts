/** The channel record-hop notifies after each write; live readers LISTEN on it. */
export const HISTORY_CHANNEL = 'pingpong_history';

/** What a notification says: which table changed because of which event; readers query the rest. */
export interface HistoryNotice {
  table: string;
  type: string;
  source: string;
  id: string;
  ballId?: string;
  /** The event's place in the feed table (commit order): where a reader resumes. */
  seq?: number;
}

// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. Five fields of 256 characters stay
// below it even if every character is escaped as \uXXXX (6 bytes).
const LIMIT = 8000;
const MAX_FIELD = 256;

/**
 * The JSON payload of a notice, always under PostgreSQL's 8000-byte limit: whole when it fits
 * (the usual case: ids are short), else with each field cut to 256 characters.
 */
export function encodeNotice(n: HistoryNotice): string {
  const whole = JSON.stringify(pick(n, (s) => s));
  if (Buffer.byteLength(whole) < LIMIT) return whole;
  return JSON.stringify(pick(n, (s) => s.slice(0, MAX_FIELD)));
}

function pick(n: HistoryNotice, cut: (s: string) => string): HistoryNotice {
  const out: HistoryNotice = { table: cut(n.table), type: cut(n.type), source: cut(n.source), id: cut(n.id) };
  if (n.ballId !== undefined) out.ballId = cut(n.ballId);
  if (n.seq !== undefined) out.seq = n.seq;
  return out;
}

/** Parses a payload received on HISTORY_CHANNEL; undefined when it is not a notice. */
export function decodeNotice(payload: string | undefined): HistoryNotice | undefined {
  if (!payload) return undefined;
  try {
    const v = JSON.parse(payload) as Partial<HistoryNotice>;
    if (typeof v.table === 'string' && typeof v.type === 'string' && typeof v.source === 'string' && typeof v.id === 'string') {
      return v as HistoryNotice;
    }
  } catch { /* not JSON: not ours */ }
  return undefined;
}
