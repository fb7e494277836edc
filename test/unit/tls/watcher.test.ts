import { copyFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CertificateWatcher } from '../../../src/tls/watcher.js';
import { createPki, type Issued, type Pki } from '../../support/pki.js';

let pki: Pki;
let ca: Issued;
let first: Issued;
let second: Issued;

beforeAll(() => {
  pki = createPki();
  ca = pki.ca('ca');
  first = pki.issue(ca, 'first', 'server', ['DNS:localhost']);
  second = pki.issue(ca, 'second', 'server', ['DNS:localhost']);
});

async function live(name: string, from: Issued): Promise<{ cert_file: string; key_file: string; reload_interval_ms: number }> {
  const cert_file = join(pki.dir, `${name}.live.crt`);
  const key_file = join(pki.dir, `${name}.live.key`);
  await copyFile(from.certFile, cert_file);
  await copyFile(from.keyFile, key_file);
  return { cert_file, key_file, reload_interval_ms: 100 };
}

async function replace(file: string, from: string): Promise<void> {
  await copyFile(from, `${file}.tmp`);
  await rename(`${file}.tmp`, file);
}

describe('CertificateWatcher', () => {
  it('installs a changed, consistent set and tells its listeners; an unchanged set is no news', async () => {
    const config = await live('a', first);
    const results: boolean[] = [];
    const watcher = await CertificateWatcher.load('grpc', config, { onReload: (ok) => results.push(ok) });
    const seen: Buffer[] = [];
    watcher.onChange((m) => seen.push(m.cert));
    expect(await watcher.check()).toBe(false);
    await replace(config.key_file, second.keyFile);
    await replace(config.cert_file, second.certFile);
    expect(await watcher.check()).toBe(true);
    expect(watcher.current.cert.equals(second.cert)).toBe(true);
    expect(seen).toHaveLength(1);
    expect(results).toEqual([true]);
  });

  it('keeps the last good set while the files do not match, or one is missing', async () => {
    const config = await live('b', first);
    const results: boolean[] = [];
    const watcher = await CertificateWatcher.load('admin', config, { onReload: (ok) => results.push(ok) });
    await replace(config.key_file, second.keyFile); // the certificate has not followed yet
    expect(await watcher.check()).toBe(false);
    expect(watcher.current.cert.equals(first.cert)).toBe(true);
    expect(results).toEqual([false]);
    await rm(config.cert_file);
    expect(await watcher.check()).toBe(false);
    expect(watcher.current.key.equals(first.key)).toBe(true);
  });

  it('refuses to load a key that does not belong to the certificate, naming the listener', async () => {
    await expect(CertificateWatcher.load('grpc', { cert_file: first.certFile, key_file: second.keyFile, reload_interval_ms: 100 })).rejects.toThrow(/^grpc TLS: .*key values mismatch/);
    await expect(CertificateWatcher.load('admin', { cert_file: join(pki.dir, 'nope.crt'), key_file: first.keyFile, reload_interval_ms: 100 })).rejects.toThrow(/^admin TLS: .*ENOENT/);
  });

  it('hands grpc-js the current set at once, and changes as they come', async () => {
    const config = await live('c', first);
    const watcher = await CertificateWatcher.load('grpc', { ...config, client_ca_file: ca.certFile });
    const provider = watcher.certificateProvider();
    const identities: string[] = [];
    const cas: number[] = [];
    const onIdentity = (u: { certificate: Buffer } | null) => identities.push(u?.certificate.equals(first.cert) ? 'first' : 'second');
    const onCa = (u: { caCertificate: Buffer } | null) => cas.push(u?.caCertificate.length ?? 0);
    provider.addIdentityCertificateListener(onIdentity);
    provider.addCaCertificateListener(onCa);
    await new Promise((r) => process.nextTick(r));
    expect(identities).toEqual(['first']);
    expect(cas).toEqual([ca.cert.length]);
    await replace(config.key_file, second.keyFile);
    await replace(config.cert_file, second.certFile);
    await watcher.check();
    expect(identities).toEqual(['first', 'second']);
    provider.removeIdentityCertificateListener(onIdentity);
    provider.removeCaCertificateListener(onCa);
  });
});
