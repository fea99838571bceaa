import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The NOLOGIN groups made by db/migrations/002_roles.sql. */
export const WRITE_GROUP = 'pingpong_history_write';
export const READ_GROUP = 'pingpong_history_read';
/** The login users, members of those groups: record-hop writes, readers read. */
export const WRITER_USER = 'pingpong_writer';
export const READER_USER = 'pingpong_reader';

export interface UserPasswords { writer: string; reader: string }

/** A fresh random password (192 bits, URL-safe, so it needs no escaping in a URL). */
export const randomPassword = (): string => randomBytes(24).toString('base64url');

/** `url` with another user and password: same server, database and options. */
export function urlFor(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.href;
}

/**
 * Creates the login users, or updates them, with these passwords and membership of their group
 * only. Run as a role that may create roles (the admin). One transaction under an advisory lock,
 * so two processes preparing the same server at once do not race on CREATE ROLE.
 */
export async function ensureLoginUsers(adminUrl: string, passwords: UserPasswords): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('pingpong.login-users'))");
    for (const [user, group, password] of [
      [WRITER_USER, WRITE_GROUP, passwords.writer],
      [READER_USER, READ_GROUP, passwords.reader],
    ] as const) {
      const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user])).rowCount === 1;
      // Role names and passwords cannot be bound as parameters in these statements: escape them.
      const role = pg.escapeIdentifier(user);
      // Only what must change: an admin that is not a superuser may not touch other attributes.
      const attrs = `LOGIN PASSWORD ${pg.escapeLiteral(password)}`;
      await client.query(exists ? `ALTER ROLE ${role} WITH ${attrs}` : `CREATE ROLE ${role} WITH ${attrs}`);
      await client.query(`GRANT ${pg.escapeIdentifier(group)} TO ${role}`);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await client.end();
  }
}
