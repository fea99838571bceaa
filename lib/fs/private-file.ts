import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, rename, rm } from 'node:fs/promises';

/**
 * Writes `text` to `file` readable by its owner only (0600), whether or not the file existed.
 * `writeFile(file, text, { mode: 0o600 })` is not enough: the mode applies only when it creates
 * the file, so a file left 0644 by an older run or by hand would keep its mode and now hold a
 * secret. So the text goes to a new file beside it, 0600 before its first byte, which then
 * replaces the old one in one rename: no reader sees half a file or the secret under the old mode.
 */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  // A name of our own, opened exclusively: never a file someone else made (or links to) there.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    try {
      // The umask can only clear bits of 0600; set it exactly, so the result does not depend on it.
      await handle.chmod(0o600);
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Reads a file that holds a secret, made owner-only (0600) first: one loosened since it was
 * written (by hand, a copy, an older version) is tightened where it is read, not only when rewritten.
 */
export async function readPrivateFile(file: string): Promise<string> {
  await chmod(file, 0o600);
  return readFile(file, 'utf8');
}
