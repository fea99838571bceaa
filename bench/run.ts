/**
 * `npm run bench`: each figure beside its reference, measured in the same run and repeated
 * (median and spread), with progress on the way; the table goes to docs/benchmarks.md with the
 * machine it ran on. A benchmark reports: a missed goal is a "no" in the table, not a failure.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib/process/function-command.js';
import { brokerBenchmarks } from './broker.js';
import { coinFlipBenchmarks } from './coin-flip.js';
import { historyWriteBenchmarks } from './history-writes.js';
import { localApiBenchmarks } from './local-api.js';
import type { Benchmark, Row } from './measure.js';
import { runtimeBenchmarks } from './runtime.js';

const benchmarks: Benchmark[] = [...coinFlipBenchmarks, ...brokerBenchmarks, ...historyWriteBenchmarks, ...localApiBenchmarks, ...runtimeBenchmarks];

const say = (s: string) => process.stdout.write(`${s}\n`);
const started = Date.now();
const rows: Row[] = [];
const failed: string[] = [];
for (const [i, b] of benchmarks.entries()) {
  say(`${i + 1}/${benchmarks.length} ${b.name}…`);
  try {
    rows.push(...await b.run((line) => say(`    ${line}`)));
  } catch (e) {
    // One benchmark that cannot run does not cost the others their figures.
    failed.push(`${b.name}: ${(e as Error).message}`);
    say(`    could not run: ${(e as Error).message}`);
  }
}

const cell = (s: string) => s.replace(/\|/g, '\\|');
const met = (r: Row) => (r.met === undefined ? 'reported' : r.met ? 'yes' : '**no**');
const cpu = os.cpus();
const report = `# Benchmarks

\`npm run bench\` on ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${Math.round((Date.now() - started) / 1000)} s.
Each figure is the median of its runs, with the spread (min–max) beside it; the reference ran in the same run.
Speed goals live here, not in the tests: a missed goal is reported, not failed.

| figure | measured | reference (same run) | vs reference | goal | met |
|---|---|---|---|---|---|
${rows.map((r) => `| ${[r.figure, r.measured, r.reference, r.versus, r.goal, met(r)].map(cell).join(' | ')} |`).join('\n')}
${rows.some((r) => r.note) ? `\nNotes:\n\n${rows.filter((r) => r.note).map((r) => `- ${r.figure}: ${r.note}`).join('\n')}\n` : ''}${failed.length ? `\nCould not run:\n\n${failed.map((f) => `- ${f}`).join('\n')}\n` : ''}`;
// What each fix changed, with its profiles before and after: kept by hand beside the benchmarks.
const profiles = await readFile(path.join(ROOT, 'bench', 'profiles.md'), 'utf8').catch(() => '');
await writeFile(path.join(ROOT, 'docs', 'benchmarks.md'), profiles ? `${report}\n${profiles}` : report);
say(`\n${rows.length} figures in ${Math.round((Date.now() - started) / 1000)} s; written to docs/benchmarks.md`);
for (const r of rows) say(`  ${met(r).padEnd(8)} ${r.figure}: ${r.measured} — ${r.versus} (goal: ${r.goal})`);
