import http from 'node:http';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

/** What `pingpong up` leaves in the data dir so `pingpong status` can find the running instance. */
export interface RuntimeInfo {
  pid: number;
  controlUrl: string;
  gatewayUrl: string;
  brokerUrl: string;
  apiUrl: string;
  startedAt: string;
}

const infoPath = (dataDir: string) => path.join(dataDir, 'runtime.json');

/** A loopback-only endpoint serving the runtime's status as JSON, for `pingpong status`. */
export async function startControl(status: () => unknown): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/status') {
      const body = JSON.stringify(status());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export async function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(infoPath(dataDir), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
}

export async function removeRuntimeInfo(dataDir: string): Promise<void> {
  await rm(infoPath(dataDir), { force: true });
}

export async function readRuntimeInfo(dataDir: string): Promise<RuntimeInfo | undefined> {
  try {
    return JSON.parse(await readFile(infoPath(dataDir), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
}
