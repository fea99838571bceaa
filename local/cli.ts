#!/usr/bin/env node
/**
 * `pingpong`: runs the project's Knative manifests on this machine (`up`) and shows what runs
 * (`status`). `npm start` is `pingpong up`.
 */
import path from 'node:path';
import { parseStatus, FlagError, ENV, DEFAULTS, LOAD_DEFAULTS } from './cli/flags.js';
import { formatStatus } from './cli/status.js';
import { readRuntimeInfo } from './runtime/control.js';
import type { RuntimeStatus } from './runtime/status-view.js';
import { Refusal, unexpected } from '../lib/refusal.js';

// `up` (the whole runtime), `balls` (pg) and `load` (autocannon) load only when asked for: help,
// a refusal and status answer at once.
const REFUSALS = new Set(['InvalidManifests', 'ManifestLoadError']);


const HELP = `pingpong — Knative Ping-Pong's local runtime

  pingpong up [-f FILE]… [--gateway-port ${DEFAULTS['gateway-port']}] [--broker-port ${DEFAULTS['broker-port']}] [--api-port ${DEFAULTS['api-port']}]
              [--data-dir ${DEFAULTS['data-dir']}] [--stable-window ${DEFAULTS['stable-window']}] [--log-format pretty|json] [--reset]
              [--broker-duplicate] [--broker-reorder]
      Runs the manifests of kustomization.yaml (plus each -f FILE) on this machine. What kubectl
      created or changed in its API is kept in the data dir for the next run; --reset forgets it.
      --broker-duplicate delivers every event twice (the first reply is published);
      --broker-reorder holds each delivery 0–200 ms at random so deliveries overtake each other.
      Both are faults at-least-once delivery allows, for checking that the history stays the same.
      --log-format: pretty prints one short line per event (time, pod, what happened); json prints
      the JSON lines, every field kept. Default: pretty on a terminal, json otherwise. LOG_LEVEL
      (default info) sets how much: debug adds the runtime's plumbing, warn only problems.
  pingpong status [--data-dir ${DEFAULTS['data-dir']}] [--json]
      Services, revisions, pods and Triggers of the running instance.
  pingpong balls [--last N] [--source SOURCE --id ID] [--data-dir ${DEFAULTS['data-dir']}] [--json]
      Balls in the history, oldest served first: the last N (default 20), or every ball that the
      ball.requested (or PingSource tick) with ce-source SOURCE and ce-id ID served, by number.
  pingpong ball ID [--data-dir ${DEFAULTS['data-dir']}] [--json]
      One ball's flight, hop by hop: who threw and who caught each hop, and how it ended.
  pingpong load [--service ${LOAD_DEFAULTS.service}] [--namespace ${LOAD_DEFAULTS.namespace}] [--concurrency ${LOAD_DEFAULTS.concurrency}] [--duration ${LOAD_DEFAULTS.duration}]
                [--watch-after ${LOAD_DEFAULTS['watch-after']}] [--method ${LOAD_DEFAULTS.method}] [--path ${LOAD_DEFAULTS.path}] [--body '${LOAD_DEFAULTS.body}'] [--data-dir ${DEFAULTS['data-dir']}]
      Sends requests to a Service of the running instance through its gateway (its Host header),
      --concurrency at a time for --duration, and prints once a second the requests answered, the
      requests queued in the activator and the Service's pods with each one's requests in flight;
      then keeps printing until the Service is back at zero pods, for at most --watch-after.
      The defaults load coin-flip; for another Service give its --path (and --body, or --method GET).

These flags also read an environment variable: ${Object.entries(ENV).map(([f, e]) => `--${f}=${e}`).join(', ')}.
`;

const say = (line: string) => void process.stdout.write(`${line}\n`);

async function cmdStatus(argv: string[]): Promise<void> {
  const opts = parseStatus(argv, process.env);
  const info = await readRuntimeInfo(path.resolve(opts.dataDir));
  if (!info) throw new FlagError('--data-dir', `no running instance found in ${opts.dataDir} (start one with: npm start)`);
  let s: RuntimeStatus;
  try {
    s = await (await fetch(`${info.controlUrl}/status`)).json() as RuntimeStatus;
  } catch {
    throw new FlagError('--data-dir', `the instance recorded in ${opts.dataDir} (pid ${info.pid}) does not answer; is it still running?`);
  }
  say(opts.json ? JSON.stringify(s, null, 2) : formatStatus(s));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'up') return (await import('./cli/up.js')).cmdUp(rest);
  if (command === 'status') return cmdStatus(rest);
  if (command === 'balls') return (await import('./cli/balls.js')).cmdBalls(rest, process.env, say);
  if (command === 'ball') return (await import('./cli/balls.js')).cmdBall(rest, process.env, say);
  if (command === 'load') return (await import('./cli/load.js')).cmdLoad(rest, process.env, say);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return;
  }
  throw new FlagError(command, `unknown command (use up, status, balls, ball, load or help)`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof Refusal || (e instanceof Error && REFUSALS.has(e.name))) {
    process.stderr.write(`pingpong: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`pingpong: ${unexpected(e)}\n`);
  process.exit(1);
});
