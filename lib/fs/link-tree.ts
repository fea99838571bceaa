import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Recreates the tree `src` at `dst` (which must not exist): directories 0755, symlinks as
 * symlinks, files hard-linked where the filesystem allows (no space, instantly) and copied with
 * their mode otherwise. `skip` leaves out entries by their path relative to `src`.
 */
export async function linkTree(src: string, dst: string, skip: (rel: string) => boolean = () => false, rel = ''): Promise<void> {
  await fs.mkdir(dst, { mode: 0o755 });
  for (const entry of await fs.readdir(src, { withFileTypes: true })) {
    const sub = rel ? `${rel}/${entry.name}` : entry.name;
    if (skip(sub)) continue;
    const from = path.join(src, entry.name);
    const to = path.join(dst, entry.name);
    if (entry.isDirectory()) await linkTree(from, to, skip, sub);
    else if (entry.isSymbolicLink()) await fs.symlink(await fs.readlink(from), to);
    else {
      try {
        await fs.link(from, to);
      } catch {
        await fs.copyFile(from, to);
        await fs.chmod(to, (await fs.stat(from)).mode & 0o7777);
      }
    }
  }
}
