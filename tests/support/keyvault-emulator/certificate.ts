// A throw-away PKI for the emulator, made at test time: a CA, and a server certificate it signs
// for 127.0.0.1 / ::1 / localhost. Clients trust the CA only (SecretClient `tlsOptions.ca`), as a
// real client trusts a public CA, so the TLS handshake and hostname check are real.

import { generate } from 'selfsigned';

export interface TestPki {
  /** PEM of the CA certificate: what a client passes to trust the emulator. */
  ca: string;
  /** PEM key and certificate for the HTTPS server. */
  key: string;
  cert: string;
}

export async function createTestPki(): Promise<TestPki> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 24 * 3600_000);
  const ca = await generate([{ name: 'commonName', value: 'workspace-sync test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { ca: ca.cert, key: server.private, cert: server.cert };
}
