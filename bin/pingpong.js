#!/usr/bin/env node
// The published entry: registers tsx in this same process (no wrapper process left behind), then
// runs the CLI from its TypeScript source.
import { register } from 'tsx/esm/api';

register();
await import('../local/cli.ts');
