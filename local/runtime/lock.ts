import fs from 'node:fs/promises';
import path from 'node:path';
import { Refusal } from '../../lib/refusal.js';

/**
 * One `pingpong up` per data dir: its PostgreSQL data, kubeconfigs and runtime.json belong to one
 * instance. The lock is a file made with O_EXCL holding the owner's pid; a lock whose pid is gone,
 * or is now some other program, was left by a run that was killed and is cleared at once (a
 * pid, unlike a lock file's age, tells that without waiting).
 */
export interface DataDirLock { release(): Promise<void> }

const lockPath = (dataDir: string) => path.join(dataDir, 'pingpong.lock');

/** Whether `pid` is a live `pingpong` process (not a reused pid of something else). */
async function isPingpong(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).includes('pingpong');
  } catch {
    return true; // no /proc: a live pid is all we can know
  }
}

/**
 * Takes the data dir's lock, clearing a stale one; refuses naming the running instance.
 * `shown` is the data dir as the user wrote it, for the message.
 */
export async function lockDataDir(dataDir: string, shown: string, onStale?: (pid: number) => void): Promise<DataDirLock> {
  const file = lockPath(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return {
        async release() {
          const owner = await fs.readFile(file, 'utf8').catch(() => '');
          if (Number(owner.trim()) === process.pid) await fs.rm(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && await isPingpong(pid)) {
      const flag = shown === '.local' ? '' : ` --data-dir ${shown}`;
      throw new Refusal('--data-dir', `another pingpong up (pid ${pid}) is running on ${shown}; see it with: npx pingpong status${flag} (stop it with Ctrl-C in its terminal, or use another --data-dir)`);
    }
    if (Number.isInteger(pid) && pid > 0) onStale?.(pid);
    await fs.rm(file, { force: true });
  }
  throw new Refusal('--data-dir', `could not take the lock ${file}: another pingpong up keeps starting on ${shown}`);
}
