import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwksSource, JwksLoadError } from '../../../src/identity/jwks-source.js';
import { issuerConfig, jwksOf, makeKey, writeJwksFile, type TestKey } from './fixtures.js';
import { JwksServer } from './jwks-server.js';

let server: JwksServer;
let key: TestKey;

beforeAll(async () => {
  server = await JwksServer.start();
  key = await makeKey('ES256', 'k1');
});
afterAll(() => server.close());

async function loadError(load: () => Promise<unknown>): Promise<string> {
  const err = await load().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(JwksLoadError);
  return (err as Error).message;
}

describe('file source', () => {
  it('reads the key set from disk and marks itself local', async () => {
    const file = await writeJwksFile(jwksOf(key));
    const source = createJwksSource(issuerConfig({ file }), fetch);
    expect(source.local).toBe(true);
    expect(await source.load()).toEqual(jwksOf(key));
  });

  it('names the file when it is missing, not JSON, not a key set, or empty', async () => {
    expect(await loadError(() => createJwksSource(issuerConfig({ file: '/nonexistent/jwks.json' }), fetch).load())).toContain('/nonexistent/jwks.json');
    const notJson = await writeJwksFile('{ nope');
    expect(await loadError(() => createJwksSource(issuerConfig({ file: notJson }), fetch).load())).toMatch(/not JSON/);
    const notSet = await writeJwksFile({ keys: 'none' });
    expect(await loadError(() => createJwksSource(issuerConfig({ file: notSet }), fetch).load())).toMatch(/not a JSON Web Key Set/);
    const empty = await writeJwksFile({ keys: [] });
    expect(await loadError(() => createJwksSource(issuerConfig({ file: empty }), fetch).load())).toMatch(/holds no keys/);
  });
});

describe('URL source', () => {
  it('fetches the key set with the injected fetch', async () => {
    server.serve('/url/jwks', { body: jwksOf(key) });
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls += 1;
      return fetch(input, init);
    };
    const source = createJwksSource(issuerConfig({ url: server.url('/url/jwks') }), counting);
    expect(source.local).toBe(false);
    expect(await source.load()).toEqual(jwksOf(key));
    expect(calls).toBe(1);
  });

  it('fails on an HTTP error, a non-JSON body, or an oversized body', async () => {
    server.serve('/url/500', { status: 500, body: { error: 'down' } });
    expect(await loadError(() => createJwksSource(issuerConfig({ url: server.url('/url/500') }), fetch).load())).toMatch(/HTTP 500/);
    server.serve('/url/html', { body: '<html></html>' });
    expect(await loadError(() => createJwksSource(issuerConfig({ url: server.url('/url/html') }), fetch).load())).toMatch(/not JSON/);
    server.serve('/url/huge', { body: JSON.stringify({ keys: [], pad: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(await loadError(() => createJwksSource(issuerConfig({ url: server.url('/url/huge') }), fetch).load())).toMatch(/exceeds/);
  });

  it('gives up after jwks_timeout_ms', async () => {
    server.serve('/url/hang', { hang: true });
    const source = createJwksSource(issuerConfig({ url: server.url('/url/hang') }, { jwks_timeout_ms: 150 }), fetch);
    const started = Date.now();
    expect(await loadError(() => source.load())).toMatch(/fetch failed/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails when the server cannot be reached', async () => {
    const closed = await JwksServer.start();
    const url = closed.url('/jwks');
    await closed.close();
    expect(await loadError(() => createJwksSource(issuerConfig({ url }), fetch).load())).toMatch(/fetch failed/);
  });
});

describe('discovery source', () => {
  it('follows jwks_uri from the issuer discovery document', async () => {
    const issuer = server.origin;
    server.serveDiscovery(issuer, '/disc/jwks');
    server.serve('/disc/jwks', { body: jwksOf(key) });
    const source = createJwksSource(issuerConfig({ discovery: true }, { issuer }), fetch);
    expect(source.description).toBe(`${issuer}/.well-known/openid-configuration`);
    expect(await source.load()).toEqual(jwksOf(key));
  });

  it('tolerates a trailing slash on the configured issuer', async () => {
    const issuer = `${server.origin}/`;
    server.serveDiscovery(issuer, '/disc/jwks');
    const source = createJwksSource(issuerConfig({ discovery: true }, { issuer }), fetch);
    expect(source.description).toBe(`${server.origin}/.well-known/openid-configuration`);
    expect(await source.load()).toEqual(jwksOf(key));
  });

  it('refuses a discovery document that names another issuer', async () => {
    server.serveDiscovery('https://attacker.example', '/disc/jwks');
    const source = createJwksSource(issuerConfig({ discovery: true }, { issuer: server.origin }), fetch);
    expect(await loadError(() => source.load())).toMatch(/declares issuer/);
  });

  it('refuses a discovery document without a usable jwks_uri', async () => {
    const source = createJwksSource(issuerConfig({ discovery: true }, { issuer: server.origin }), fetch);
    server.serve('/.well-known/openid-configuration', { body: { issuer: server.origin } });
    expect(await loadError(() => source.load())).toMatch(/jwks_uri/);
    server.serve('/.well-known/openid-configuration', { body: { issuer: server.origin, jwks_uri: 'file:///etc/passwd' } });
    expect(await loadError(() => source.load())).toMatch(/jwks_uri uses file:/);
  });
});
