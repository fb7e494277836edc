// Certificates made with openssl at test time: CAs, and server or client certificates with the
// subject alternative names a test needs. EC P-256, unencrypted keys, a day's validity.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Issued {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface Pki {
  readonly dir: string;
  /** A self-signed CA. */
  ca(name: string): Issued;
  /** A certificate signed by `ca`, with SANs such as ['DNS:localhost', 'IP:127.0.0.1']. */
  issue(ca: Issued, name: string, usage: 'server' | 'client', sans: readonly string[]): Issued;
}

const openssl = (args: string[], cwd: string): void => {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
};

export function createPki(dir = mkdtempSync(join(tmpdir(), 'rg-pki-'))): Pki {
  let serial = 1000;
  const key = (name: string): string => {
    const file = join(dir, `${name}.key`);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], dir);
    return file;
  };
  const issued = (certFile: string, keyFile: string): Issued => ({ certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) });
  return {
    dir,
    ca(name) {
      const keyFile = key(name);
      const certFile = join(dir, `${name}.crt`);
      openssl(['req', '-x509', '-new', '-key', keyFile, '-sha256', '-days', '1', '-subj', `/CN=${name}`,
        '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', certFile], dir);
      return issued(certFile, keyFile);
    },
    issue(ca, name, usage, sans) {
      const keyFile = key(name);
      const csr = join(dir, `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      const certFile = join(dir, `${name}.crt`);
      openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${name}`, '-out', csr], dir);
      const altNames = sans.map((s) => s.replace(/^IP:/, 'IP:')).join(',');
      writeFileSync(ext, `${altNames ? `subjectAltName=${altNames}\n` : ''}extendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}\nkeyUsage=critical,digitalSignature\n`);
      openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', String(serial++), '-days', '1', '-sha256', '-extfile', ext, '-out', certFile], dir);
      return issued(certFile, keyFile);
    },
  };
}
