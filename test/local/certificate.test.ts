import test from 'ava';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import type net from 'node:net';
import { selfSignedCertificate } from '../../local/apiserver/certificate.js';

const serve = async (keyPem: string, certPem: string) => {
  const srv = https.createServer({ key: keyPem, cert: certPem }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return srv;
};
const get = (port: number, ca: string, servername?: string) => new Promise<string>((resolve, reject) => {
  https.get({ host: '127.0.0.1', port, ca, servername, path: '/' }, (res) => {
    let body = '';
    res.on('data', (d) => (body += d)).on('end', () => resolve(body));
  }).on('error', reject);
});

test('the certificate is its own CA and names every host it was made for', async (t) => {
  const { certPem } = await selfSignedCertificate(['127.0.0.1', '::1', 'localhost', 'api.example']);
  const x = new X509Certificate(certPem);
  t.true(x.ca);
  t.true(x.verify(x.publicKey));
  t.is(x.checkIP('127.0.0.1'), '127.0.0.1');
  t.is(x.checkIP('::1'), '::1');
  t.is(x.checkHost('api.example'), 'api.example');
  t.is(x.checkHost('other.example'), undefined);
  t.true(new Date(x.validTo).getTime() > Date.now() + 9 * 365 * 86400_000);
});

test('a TLS client trusting only the certificate connects to 127.0.0.1, and refuses another name', async (t) => {
  const { keyPem, certPem } = await selfSignedCertificate(['127.0.0.1', 'localhost']);
  const srv = await serve(keyPem, certPem);
  const { port } = srv.address() as net.AddressInfo;
  try {
    t.is(await get(port, certPem), 'ok');
    t.is(await get(port, certPem, 'localhost'), 'ok');
    await t.throwsAsync(get(port, certPem, 'elsewhere.example'), { message: /altnames|Hostname/i });
    const other = await selfSignedCertificate(['127.0.0.1']);
    await t.throwsAsync(get(port, other.certPem), { message: /self-signed|signature|verify/i });
  } finally {
    await new Promise((r) => srv.close(r));
  }
});
