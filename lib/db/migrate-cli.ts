/**
 * `node dist/lib/db/migrate-cli.js`: the cluster's migration Job (db/k8s/600-migrate-job.yaml).
 * Migrates the database DATABASE_URL names (an admin URL). When PINGPONG_WRITER_PASSWORD and
 * PINGPONG_READER_PASSWORD are set (from a Secret), it also creates or updates the writer and
 * reader users with them, so functions can connect with least privilege.
 */
import { createLogger } from '../log.js';
import { ConfigError } from '../config.js';
import { migrate } from './migrate.js';
import { ensureLoginUsers, READER_USER, WRITER_USER } from './users.js';

const log = createLogger('migrate');
const env = process.env;

try {
  const url = env.DATABASE_URL?.trim();
  if (!url) throw new ConfigError('DATABASE_URL', 'is required: the admin URL of the database to migrate');
  await migrate(url, { log });
  const writer = env.PINGPONG_WRITER_PASSWORD;
  const reader = env.PINGPONG_READER_PASSWORD;
  if (writer && reader) {
    await ensureLoginUsers(url, { writer, reader });
    log.info({ users: [WRITER_USER, READER_USER] }, 'database users ready');
  } else if (writer || reader) {
    throw new ConfigError(writer ? 'PINGPONG_READER_PASSWORD' : 'PINGPONG_WRITER_PASSWORD', 'set both user passwords, or neither');
  }
} catch (e) {
  log.error({ err: e instanceof Error ? e.message : String(e) }, 'migration failed');
  process.exitCode = 1;
}
