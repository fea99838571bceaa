/**
 * `pingpong up`: starts the runtime, reports each step, prints how to reach what runs, and stops
 * it all on Ctrl-C (pods first, PostgreSQL last, `stopped.` whatever happens).
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { defaultLogFormat, logLevel, runtimeOutput, useColors, type LogFormat } from '../runtime/log-format.js';
import type { Running } from '../runtime/up.js';
import { parseUp, DEFAULTS } from './flags.js';
import { table } from './table.js';
import { unexpected } from '../../lib/refusal.js';

/** A failure nobody planned for: one line; the stack only when asked for (LOG_LEVEL=debug). */
/**
 * Where the human lines go. Pretty: as they are, on stdout. JSON: each one a JSON record, so
 * stdout stays JSON lines a program reads one by one, and stderr holds only a refusal.
 */
function voice(format: LogFormat, log: Logger): (line: string) => void {
  if (format === 'pretty') return (line) => void process.stdout.write(`${line}\n`);
  const up = log.child({ part: 'up' });
  return (line) => {
    const text = line.trim();
    if (text) up.info(text);
  };
}

function banner(running: Running, dataDir: string): string[] {
  const s = running.status();
  const near = path.relative(process.cwd(), running.kubeconfig);
  const lines = ['', table(['SERVICE', 'URL (curl with -H "Host: …" against the gateway)', 'VISIBILITY'],
    s.services.map((v) => [`${v.namespace}/${v.name}`, v.url, v.visibility])), ''];
  lines.push(`Gateway:     ${running.gatewayUrl}   (routes on Host: <service>.<namespace>.127.0.0.1.sslip.io or <service>.<namespace>.svc.cluster.local)`);
  // The ingress as you reach it from here; its status.address.url says the same on 127.0.0.1.
  for (const b of s.brokers) lines.push(`Broker:      ${running.brokerUrl}/${b.namespace}/${b.name}${b.ready === 'True' ? '' : '   (not Ready yet)'}`);
  lines.push(`UI:          ${running.gatewayUrl}/`);
  lines.push(`Kubernetes:  kubectl --kubeconfig ${near && !near.startsWith('..') ? near : running.kubeconfig} get pods -n pingpong -w`);
  lines.push(`Status:      npx pingpong status${dataDir !== DEFAULTS['data-dir'] ? ` --data-dir ${dataDir}` : ''}`);
  const broker = s.brokers.find((b) => b.ready === 'True');
  lines.push('', 'Try:');
  if (broker) {
    lines.push(`  curl -i ${running.brokerUrl}/${broker.namespace}/${broker.name} -H 'ce-specversion: 1.0' \\`);
    lines.push(`    -H 'ce-type: dev.pingpong.ball.requested' -H 'ce-source: /curl' -H "ce-id: $(node -p 'crypto.randomUUID()')" \\`);
    lines.push(`    -H 'content-type: application/json' -d '{"count":3}'`);
  }
  for (const v of s.services) {
    const host = new URL(v.url).host;
    if (v.name === 'coin-flip') lines.push(`  curl -H 'Host: ${host}' -H 'content-type: application/json' -d '{"heads":5}' ${running.gatewayUrl}/compute`);
    if (v.name === 'forward') lines.push(`  curl -H 'Host: ${host}' ${running.gatewayUrl}/ping`);
  }
  lines.push('', 'Ctrl-C stops everything.');
  return lines;
}

/** The same facts as the banner, as fields of one JSON record. */
function readyRecord(running: Running) {
  return {
    services: running.status().services.map((v) => ({ name: `${v.namespace}/${v.name}`, url: v.url, visibility: v.visibility })),
    gateway: running.gatewayUrl,
    brokers: running.status().brokers.map((b) => `${running.brokerUrl}/${b.namespace}/${b.name}`),
    ui: `${running.gatewayUrl}/`,
    kubeconfig: running.kubeconfig,
  };
}

export async function cmdUp(argv: string[]): Promise<void> {
  const parsed = parseUp(argv, process.env);
  const opts = { ...parsed, logFormat: parsed.logFormat ?? defaultLogFormat(process.stdout) };
  // One format for the runtime's lines and its pods' (the pods' JSON lines, rendered or passed on).
  const { log, podSink } = runtimeOutput({ format: opts.logFormat, level: logLevel(process.env), colorize: useColors(process.stdout, process.env) });
  const say = voice(opts.logFormat, log);
  say('pingpong up: starting the local runtime');
  // The runtime loads once the flags are known good: a refused flag answers at once.
  const { up, Interrupted } = await import('../runtime/up.js');
  // Ctrl-C before the runtime is up: stop what has started, in order, then exit.
  const starting = new AbortController();
  const early = (signal: string) => {
    if (starting.signal.aborted) return;
    say(`\n${signal}: stopping what has started…`);
    starting.abort();
  };
  // `on`, not `once`: a second Ctrl-C while starting must not kill the process before it stopped what started.
  process.on('SIGINT', early).on('SIGTERM', early).on('SIGHUP', early);
  // Whoever read the lines is gone (`npm start | head`, a closed pipe): stop as for a closed
  // terminal instead of dying of EPIPE with PostgreSQL and the pods left running.
  let outputGone: ((why: string) => void) | undefined;
  for (const s of [process.stdout, process.stderr]) {
    s.on('error', () => {
      for (const t of [process.stdout, process.stderr]) t.removeAllListeners('error').on('error', () => undefined);
      if (outputGone) outputGone('output closed'); else early('output closed');
    });
  }
  let running: Running;
  try {
    running = await up(opts, log, (line) => say(`  ${line}`), starting.signal, podSink);
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    say('stopped.');
    process.exit(130);
  }
  process.off('SIGINT', early).off('SIGTERM', early).off('SIGHUP', early);
  let stopping = 0;
  let code = 0;
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
  outputGone = (why) => void stop(why);
  // The terminal closed: stop as for Ctrl-C, or PostgreSQL and the pods would outlive it. Nobody
  // is left to read the lines, and writing to the gone terminal must not end the stopping.
  process.on('SIGHUP', () => {
    for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
    void stop('SIGHUP');
  });
  if (opts.logFormat === 'json') log.child({ part: 'up' }).info(readyRecord(running), 'ready; Ctrl-C stops everything.');
  else for (const line of banner(running, opts.dataDir)) say(line);
}
