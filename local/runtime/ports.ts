import net from 'node:net';
import { Refusal } from '../../lib/refusal.js';
import { ENV } from '../cli/flags.js';

/** The ports `pingpong up` listens on, by the flag that sets each. */
export type PortFlag = 'gateway-port' | 'broker-port' | 'api-port';

/** A listen failure as the user can act on it: the flag, the port, why, and how to choose another. */
export function portRefusal(flag: PortFlag, port: number, err: NodeJS.ErrnoException): Refusal {
  const why = err.code === 'EADDRINUSE'
    ? `port ${port} on 127.0.0.1 is already in use (another pingpong up? see npx pingpong status)`
    : err.code === 'EACCES'
      ? `port ${port} needs privileges this user does not have`
      : `cannot listen on port ${port} (${err.code ?? err.message})`;
  return new Refusal(`--${flag}`, `${why}; choose another with --${flag} N or ${ENV[flag]}`);
}

/** Runs a `listen`, turning its failure into the refusal that names the flag. */
export async function listenOn<T>(flag: PortFlag, port: number, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).syscall === 'listen' || (e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw portRefusal(flag, port, e as NodeJS.ErrnoException);
    }
    throw e;
  }
}

/**
 * Checks each port is free before anything starts, so a busy one is refused in a moment and with
 * nothing to undo, not after PostgreSQL came up. The real listens still map their own failure
 * (a port can be taken in between).
 */
export async function checkPortsFree(ports: ReadonlyArray<[PortFlag, number]>): Promise<void> {
  for (const [flag, port] of ports) {
    await listenOn(flag, port, () => new Promise<void>((resolve, reject) => {
      const probe = net.createServer();
      probe.once('error', reject);
      probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve()));
    }));
  }
}
