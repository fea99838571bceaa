#!/usr/bin/env node
/**
 * `pingpong`: runs the project's Knative manifests on this machine (`up`) and shows what runs
 * (`status`). `npm start` is `pingpong up`.
 */
import path from 'node:path';
import { defaultLogFormat, logLevel, runtimeOutput, useColors } from './runtime/log-format.js';
import { parseUp, parseStatus, FlagError, ENV, DEFAULTS } from './cli/flags.js';
import { formatStatus } from './cli/status.js';
import { cmdBall, cmdBalls } from './cli/balls.js';
import { table } from './cli/table.js';
import { readRuntimeInfo } from './runtime/control.js';
import { up, InvalidManifests, Interrupted, type RuntimeStatus } from './runtime/up.js';
import { ManifestLoadError } from '../lib/manifests/index.js';
import { Refusal } from '../lib/refusal.js';

/** A failure nobody planned for: one line; the stack only when asked for (LOG_LEVEL=debug). */
const unexpected = (e: unknown): string => {
  const err = e instanceof Error ? e : new Error(String(e));
  return process.env.LOG_LEVEL === 'debug' ? err.stack ?? err.message : `${err.message} (LOG_LEVEL=debug shows where)`;
};

const HELP = `pingpong — Knative Ping-Pong's local runtime

  pingpong up [-f FILE]… [--gateway-port ${DEFAULTS['gateway-port']}] [--broker-port ${DEFAULTS['broker-port']}] [--api-port ${DEFAULTS['api-port']}]
              [--data-dir ${DEFAULTS['data-dir']}] [--stable-window ${DEFAULTS['stable-window']}] [--log-format pretty|json]
      Runs the manifests of kustomization.yaml (plus each -f FILE) on this machine.
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

Every flag also reads an environment variable: ${Object.entries(ENV).map(([f, e]) => `--${f}=${e}`).join(', ')}.
`;

/**
 * The human lines (progress, the banner, `stopped.`): on stdout with pretty logs; on stderr with
 * JSON logs, so that stdout stays JSON lines a program can read one by one.
 */
let humanOut: NodeJS.WriteStream = process.stdout;
const say = (line: string) => humanOut.write(`${line}\n`);

async function cmdUp(argv: string[]): Promise<void> {
  const parsed = parseUp(argv, process.env);
  const opts = { ...parsed, logFormat: parsed.logFormat ?? defaultLogFormat(process.stdout) };
  if (opts.logFormat === 'json') humanOut = process.stderr;
  // One format for the runtime's lines and its pods' (the pods' JSON lines, rendered or passed on).
  const { log, podSink } = runtimeOutput({ format: opts.logFormat, level: logLevel(process.env), colorize: useColors(process.stdout, process.env) });
  say('pingpong up: starting the local runtime');
  // Ctrl-C before the runtime is up: stop what has started, in order, then exit.
  const starting = new AbortController();
  const early = (signal: string) => {
    if (starting.signal.aborted) return;
    say(`\n${signal}: stopping what has started…`);
    starting.abort();
  };
  // `on`, not `once`: a second Ctrl-C while starting must not kill the process before it stopped what started.
  process.on('SIGINT', early).on('SIGTERM', early);
  let running;
  try {
    running = await up(opts, log, (line) => say(`  ${line}`), starting.signal, podSink);
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    say('stopped.');
    process.exit(130);
  }
  process.off('SIGINT', early).off('SIGTERM', early);
  let stopping = 0;
  let code = 0;
  // Pods first, PostgreSQL last (so no pod loses its connections); `stopped.` whatever happens.
  const stop = async (signal: string) => {
    if (stopping) {
      // One Ctrl-C can arrive twice: the terminal's, and npm's forwarding of it to its child.
      if (Date.now() - stopping < 1000) return;
      say(`${signal} again: killing the pods now, then stopping the rest…`);
      code = 130;
      running.hurry();
      return;
    }
    stopping = Date.now();
    say(`\n${signal}: stopping every pod, the Broker, the API server and PostgreSQL… (Ctrl-C again to kill the pods at once)`);
    try {
      await running.stop();
    } catch (e) {
      log.error({ err: unexpected(e) }, 'stopping failed');
    }
    say('stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const s = running.status();
  say('');
  say(table(['SERVICE', 'URL (curl with -H "Host: …" against the gateway)', 'VISIBILITY'],
    s.services.map((v) => [`${v.namespace}/${v.name}`, v.url, v.visibility])));
  say('');
  say(`Gateway:     ${running.gatewayUrl}   (routes on Host: <service>.<namespace>.127.0.0.1.sslip.io or <service>.<namespace>.svc.cluster.local)`);
  for (const b of running.resources.brokers) {
    say(`Broker:      ${running.brokerUrl}/${b.metadata.namespace}/${b.metadata.name}`);
  }
  say(`UI:          ${running.gatewayUrl}/`);
  const near = path.relative(process.cwd(), running.kubeconfig);
  say(`Kubernetes:  kubectl --kubeconfig ${near && !near.startsWith('..') ? near : running.kubeconfig} get pods -n pingpong -w`);
  say(`Status:      npx pingpong status${opts.dataDir !== DEFAULTS['data-dir'] ? ` --data-dir ${opts.dataDir}` : ''}`);
  const broker = running.resources.brokers[0];
  say('');
  say('Try:');
  if (broker) {
    say(`  curl -i ${running.brokerUrl}/${broker.metadata.namespace}/${broker.metadata.name} -H 'ce-specversion: 1.0' \\`);
    say(`    -H 'ce-type: dev.pingpong.ball.requested' -H 'ce-source: /curl' -H "ce-id: $(node -p 'crypto.randomUUID()')" \\`);
    say(`    -H 'content-type: application/json' -d '{"count":3}'`);
  }
  for (const v of s.services) {
    const host = new URL(v.url).host;
    if (v.name === 'coin-flip') say(`  curl -H 'Host: ${host}' -H 'content-type: application/json' -d '{"heads":5}' ${running.gatewayUrl}/compute`);
    if (v.name === 'forward') say(`  curl -H 'Host: ${host}' ${running.gatewayUrl}/ping`);
  }
  say('');
  say('Ctrl-C stops everything.');
}

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
  if (command === 'up') return cmdUp(rest);
  if (command === 'status') return cmdStatus(rest);
  if (command === 'balls') return cmdBalls(rest, process.env, say);
  if (command === 'ball') return cmdBall(rest, process.env, say);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return;
  }
  throw new FlagError(command, `unknown command (use up, status, balls, ball or help)`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof Refusal || e instanceof InvalidManifests || e instanceof ManifestLoadError) {
    process.stderr.write(`pingpong: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`pingpong: ${unexpected(e)}\n`);
  process.exit(1);
});
