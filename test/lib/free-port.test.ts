import test from 'ava';
import net from 'node:net';
import { freePort } from '../../lib/net/free-port.js';

test('ports taken one after another before any is bound are all different', async (t) => {
  const ports: number[] = [];
  for (let i = 0; i < 300; i++) ports.push(await freePort());
  t.is(new Set(ports).size, ports.length);
});

test('a port it hands out can be listened on', async (t) => {
  const port = await freePort();
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(port, '127.0.0.1', resolve); });
  t.is((srv.address() as net.AddressInfo).port, port);
  await new Promise((r) => srv.close(r));
});
