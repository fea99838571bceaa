/**
 * `GET …/pods/<name>/log`: a pod's output as text, with the parameters kubectl sends —
 * `tailLines`, `sinceSeconds`, `timestamps`, `follow` (streamed until the pod ends or the client
 * goes) and `previous` (there is none: the local runtime replaces pods, it never restarts one).
 */
import type { ServerResponse } from 'node:http';
import type { PodLogs, LogLine } from './pod-logs.js';
import { ApiError, errors } from './status.js';
import { DEFAULT_WATCH_BUFFER } from './watch.js';

const USER_CONTAINER = 'user-container';

function wholeNumber(url: URL, name: string, min: number): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) {
    throw new ApiError(422, 'Invalid', `PodLogOptions "" is invalid: ${name}: Invalid value: ${v}: must be an integer of at least ${min}`,
      { kind: 'PodLogOptions', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${v}`, field: name }] });
  }
  return Number(v);
}

export function serveLog(res: ServerResponse, url: URL, pod: string, exists: boolean, logs: PodLogs, now: Date): void {
  if (!exists && !logs.has(pod)) throw errors.notFound('', 'pods', pod);
  const container = url.searchParams.get('container');
  if (container && container !== USER_CONTAINER) {
    throw errors.badRequest(`container ${container} is not valid for pod ${pod}`);
  }
  if (url.searchParams.get('previous') === 'true') {
    throw errors.badRequest(`previous terminated container "${USER_CONTAINER}" in pod "${pod}" not found`);
  }
  const tailLines = wholeNumber(url, 'tailLines', 0);
  const sinceSeconds = wholeNumber(url, 'sinceSeconds', 1);
  const stamps = url.searchParams.get('timestamps') === 'true';
  const format = (l: LogLine) => `${stamps ? `${l.at.toISOString()} ` : ''}${l.text}\n`;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  for (const l of logs.read(pod, { tailLines, sinceSeconds, now })) res.write(format(l));
  if (url.searchParams.get('follow') !== 'true' || !exists) return void res.end();
  let done = false;
  let unfollow: (() => void) | undefined;
  const finish = () => {
    if (done) return;
    done = true;
    unfollow?.();
    res.end();
  };
  // follow() may end at once (the pod just exited), before it returns its unsubscribe.
  unfollow = logs.follow(pod, (l) => {
    if (l) res.write(format(l));
    // A follower that does not read is cut off rather than buffered for without end.
    if (!l || res.writableLength > DEFAULT_WATCH_BUFFER) finish();
  });
  if (done) unfollow();
  res.on('close', finish);
}
