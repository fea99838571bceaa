/**
 * One port that speaks both plain HTTP and HTTPS to the same handler, told apart by the first
 * byte a client sends (0x16 opens a TLS handshake). Plain HTTP is what the pods' kubeconfigs use;
 * HTTPS is what kubectl needs, since client-go sends a token only over TLS.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';

/** A listening dual-protocol port. */
export interface DualListener {
  address: net.AddressInfo;
  /** Stops accepting and closes every connection, idle or not. */
  close(): Promise<void>;
}

/** Listens on `host:port`, handing both protocols' requests to `server`. */
export async function listenDual(server: http.Server, tlsOptions: tls.TlsOptions, port: number, host: string): Promise<DualListener> {
  const secure = tls.createServer(tlsOptions, (socket) => server.emit('connection', socket));
  secure.on('tlsClientError', (_err, socket) => socket.destroy());
  // Every accepted socket, to destroy on close: the http server tracks connections only when it
  // listens itself, which it does not here.
  const sockets = new Set<net.Socket>();
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (!first) return void socket.destroy();
      socket.unshift(first);
      (first[0] === 0x16 ? secure : server).emit('connection', socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(port, host, () => { front.off('error', reject); resolve(); });
  });
  return {
    address: front.address() as net.AddressInfo,
    close: () => new Promise<void>((resolve) => {
      front.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}
