/**
 * The figures that need the whole runtime, on one `pingpong up` (quiet: no PingSource balls, no
 * shuffles): memory first (idle), then /compute through the gateway, the ball flow, and cold start
 * last (it gives coin-flip a short window).
 */
import { ballFlowRows } from './ball-flow.js';
import { coldStartRows } from './cold-start.js';
import { gatewayRows } from './gateway.js';
import { QUIET_BALLS, startInstance } from './instance.js';
import type { Benchmark, Row } from './measure.js';
import { memoryRows } from './memory.js';

export const runtimeBenchmarks: Benchmark[] = [{
  name: 'the local runtime (pingpong up): memory, /compute through the gateway, ball flow, cold start',
  async run(progress) {
    progress('starting pingpong up…');
    const b = await startInstance(['-f', QUIET_BALLS]);
    const rows: Row[] = [];
    try {
      for (const part of [memoryRows, gatewayRows, ballFlowRows, coldStartRows]) rows.push(...await part(b, progress));
    } finally {
      await b.stop();
    }
    return rows;
  },
}];
