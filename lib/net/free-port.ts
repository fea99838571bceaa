import net from 'node:net';

// The OS may hand the same ephemeral port to two listen(0) calls in a row once the first is
// closed, so callers that take several ports before binding any (gateway, broker, API; a pod per
// revision) could get a duplicate. Remember what this process handed out recently and ask again.
const RECENT_LIMIT = 4096;
const recent = new Set<number>();

function askOs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A loopback port the OS says is free now, and not one this process handed out lately. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = await askOs();
    if (!recent.has(port) || attempt >= 50) {
      recent.add(port);
      if (recent.size > RECENT_LIMIT) recent.delete(recent.values().next().value!);
      return port;
    }
  }
}
