import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../log.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * `db/migrations` at the project root: two levels up from `lib/db/` when run from source, three
 * from `dist/lib/db/` in the image (the Dockerfile copies db/migrations beside dist/).
 */
export const MIGRATIONS_DIR = [path.resolve(here, '../../db/migrations'), path.resolve(here, '../../../db/migrations')]
  .find((d) => existsSync(d)) ?? path.resolve(here, '../../db/migrations');

export interface MigrateOptions {
  log?: Logger;
  direction?: 'up' | 'down';
  /** How many migrations to run (default: all pending up; one down). */
  count?: number;
  dir?: string;
}

/**
 * Applies the numbered SQL migrations in `db/migrations` with node-pg-migrate, all pending ones in
 * one transaction, under its advisory lock (waiting for another process that migrates at the same
 * time rather than failing). Returns the names of the migrations run; none when up to date.
 */
export async function migrate(url: string, opts: MigrateOptions = {}): Promise<string[]> {
  const { log } = opts;
  const direction = opts.direction ?? 'up';
  const quiet = () => undefined;
  const ran = await runner({
    databaseUrl: url,
    dir: opts.dir ?? MIGRATIONS_DIR,
    direction,
    count: opts.count ?? (direction === 'up' ? Infinity : 1),
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    // node-pg-migrate narrates every step; we log one line per migration below instead.
    logger: { debug: quiet, info: (m: string) => log?.debug(m), warn: (m: string) => log?.warn(m), error: (m: string) => log?.error(m) },
  });
  for (const m of ran) log?.info({ migration: m.name, direction }, `applied migration ${m.name} (${direction})`);
  if (ran.length === 0) log?.info('database schema is up to date');
  return ran.map((m) => m.name);
}
