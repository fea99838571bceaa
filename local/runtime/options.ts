/**
 * What the local runtime is started with. The runtime owns this type; the CLI (local/cli/flags.ts)
 * fills it from flags and environment variables, and tests may build it directly.
 */
import type { LogFormat } from './log-format.js';

export interface UpOptions {
  files: string[];
  gatewayPort: number;
  brokerPort: number;
  apiPort: number;
  dataDir: string;
  stableWindowMs: number;
  /** `--log-format`; unset: pretty on a terminal, JSON lines otherwise (`defaultLogFormat`). */
  logFormat?: LogFormat;
  /** `--reset`: forget the API objects kept from earlier runs; start from the manifests alone. */
  reset?: boolean;
  /** `--broker-duplicate`: the Broker delivers every event twice (testing that subscribers are idempotent). */
  brokerDuplicate?: boolean;
  /** `--broker-reorder`: the Broker delays deliveries at random so they overtake each other. */
  brokerReorder?: boolean;
}

