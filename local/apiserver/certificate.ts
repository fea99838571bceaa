/**
 * A self-signed TLS certificate made at start (ECDSA P-256, by @peculiar/x509 over Node's
 * WebCrypto), because kubectl sends credentials only over TLS: client-go drops the token of a
 * kubeconfig whose server is plain http://. The certificate is its own CA, so a kubeconfig's
 * `certificate-authority-data` verifies it; it names 127.0.0.1, ::1, localhost and the listen host.
 */
// tsyringe, which @peculiar/x509 builds on, needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import net from 'node:net';
import * as x509 from '@peculiar/x509';

/** A key and its certificate, PEM-encoded, for `tls.createServer` and kubeconfigs. */
export interface ServingCertificate { keyPem: string; certPem: string }

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 86400_000;

/** Makes a certificate valid from an hour ago for ten years, for the given hosts. */
export async function selfSignedCertificate(hosts: readonly string[], commonName = 'pingpong-local-apiserver',
  now = new Date()): Promise<ServingCertificate> {
  const crypto = webcrypto as unknown as Crypto;
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  // A zone-scoped IPv6 address (fe80::1%eth0) has no place in a certificate; skip it.
  const names = [...new Set(hosts)].filter((h) => !h.includes('%'))
    .map((h) => ({ type: net.isIP(h) ? 'ip' as const : 'dns' as const, value: h }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^./, '4'),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + TEN_YEARS_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true), // its own trust anchor
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  }, crypto);
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
  return { keyPem, certPem: cert.toString('pem') };
}
