import type { Logger } from '../log.js';
import { migrate } from './migrate.js';
import { ensureLoginUsers, randomPassword, urlFor, READER_USER, WRITER_USER, type UserPasswords } from './users.js';

export interface PreparedDatabase {
  /** For record-hop: INSERT/UPDATE/SELECT on the history, no DDL. */
  writerUrl: string;
  /** For readers (history UI): SELECT only. */
  readerUrl: string;
}

/**
 * Brings a database up to date and gives out least-privilege URLs: runs the migrations as the
 * admin, then creates or updates the writer and reader login users, with fresh random passwords
 * unless given. Works the same on the embedded server and on one `DATABASE_URL` names.
 * Fresh passwords invalidate URLs handed out before, so prepare once per run, before starting
 * the processes that use them.
 */
export async function prepareDatabase(adminUrl: string, opts: { log?: Logger; passwords?: UserPasswords } = {}): Promise<PreparedDatabase> {
  await migrate(adminUrl, { log: opts.log });
  const passwords = opts.passwords ?? { writer: randomPassword(), reader: randomPassword() };
  await ensureLoginUsers(adminUrl, passwords);
  opts.log?.info({ users: [WRITER_USER, READER_USER] }, 'database users ready');
  return { writerUrl: urlFor(adminUrl, WRITER_USER, passwords.writer), readerUrl: urlFor(adminUrl, READER_USER, passwords.reader) };
}
