/**
 * A self-signed TLS certificate made at start with node:crypto alone (ECDSA P-256, DER written
 * here), because kubectl sends credentials only over TLS: client-go drops the token of a kubeconfig
 * whose server is plain http://. The certificate is its own CA, so a kubeconfig's
 * `certificate-authority-data` verifies it; it names 127.0.0.1, ::1, localhost and the listen host.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import net from 'node:net';

/** A key and its certificate, PEM-encoded, for `tls.createServer` and kubeconfigs. */
export interface ServingCertificate { keyPem: string; certPem: string }

// A minimal DER encoder: tag, length, contents.
const der = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
};
const seq = (...p: Buffer[]) => der(0x30, ...p);
const set = (...p: Buffer[]) => der(0x31, ...p);
const octets = (b: Buffer) => der(0x04, b);
const bits = (b: Buffer) => der(0x03, Buffer.from([0]), b);
const oid = (dotted: string): Buffer => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a! + b!];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return der(0x06, Buffer.from(out));
};
const utcTime = (d: Date) => der(0x17, Buffer.from(`${d.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`));
const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), der(0x0c, Buffer.from(cn)))));
const extension = (id: string, critical: boolean, value: Buffer) =>
  seq(oid(id), ...(critical ? [der(0x01, Buffer.from([0xff]))] : []), octets(value));

/** The subjectAltName entries: IPs as iPAddress, anything else as dNSName. */
function altNames(hosts: readonly string[]): Buffer {
  const entries = [...new Set(hosts)].filter((h) => !net.isIP(h) || net.isIPv4(h) || (!h.includes('.') && !h.includes('%'))).map((h) => {
    if (net.isIPv4(h)) return der(0x87, Buffer.from(h.split('.').map(Number)));
    if (net.isIPv6(h) && !h.includes('.') && !h.includes('%')) {
      return der(0x87, Buffer.from(expandIpv6(h).flatMap((w) => [w >> 8, w & 0xff])));
    }
    return der(0x82, Buffer.from(h));
  });
  return seq(...entries);
}

/** An IPv6 address as its eight 16-bit words. */
function expandIpv6(a: string): number[] {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':').map((x) => parseInt(x, 16)) : [];
  const t = tail ? tail.split(':').map((x) => parseInt(x, 16)) : [];
  return tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
}

/** Makes a certificate valid from an hour ago for ten years, for the given hosts. */
export function selfSignedCertificate(hosts: readonly string[], commonName = 'pingpong-local-apiserver', now = new Date()): ServingCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive and minimally encoded, as X.509 requires
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, serial),
    ecdsaSha256,
    name(commonName),
    seq(utcTime(new Date(now.getTime() - 3600_000)), utcTime(new Date(now.getTime() + 10 * 365 * 86400_000))),
    name(commonName),
    spki,
    der(0xa3, seq(
      extension('2.5.29.19', true, seq(der(0x01, Buffer.from([0xff])))), // CA: it is its own trust anchor
      extension('2.5.29.15', true, der(0x03, Buffer.from([2, 0x84]))),  // digitalSignature, keyCertSign
      extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),     // serverAuth
      extension('2.5.29.14', false, octets(createHash('sha1').update(spki).digest())),
      extension('2.5.29.17', false, altNames(hosts)),
    )),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const cert = seq(tbs, ecdsaSha256, bits(signature));
  const pem = (label: string, b: Buffer) => `-----BEGIN ${label}-----\n${b.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, certPem: pem('CERTIFICATE', cert) };
}
