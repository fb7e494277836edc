// What the load carries: tokens of the bench issuer (test/support/issuer.ts, ES256), realistic
// CheckRequests (about 20 headers, as Envoy sends them, with the route's context_extensions), and
// JSON bodies with PII for ext_proc.
import { writeFile } from 'node:fs/promises';
import { envoyPackageDefinition } from '../../src/envoy/protos.js';
import type { TestIssuer } from '../../test/support/issuer.js';

/** The route every request goes to: envoy/envoy.yaml's /eu/ route (target crm-eu, region eu-west-1). */
export const ROUTE = { path: '/eu/api/v1/customers/4711/orders?page=2', target: 'crm-eu', region: 'eu-west-1' } as const;

/** A token for a caller in the route's region, valid for `ttlSeconds` (the run must end before it expires). */
export function mintToken(issuer: TestIssuer, n: number, ttlSeconds: number): Promise<string> {
  return issuer.mint({ region: ROUTE.region, sub: `user-${n}`, scope: 'orders:read customers:read', email_verified: true }, { expiresIn: `${ttlSeconds}s` });
}

/** Mints n tokens (subjects user-<first>…), a few at a time so that the event loop keeps running. */
export async function mintTokens(issuer: TestIssuer, n: number, ttlSeconds: number, first = 0): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i += 256) {
    const batch = await Promise.all(Array.from({ length: Math.min(256, n - i) }, (_, j) => mintToken(issuer, first + i + j, ttlSeconds)));
    out.push(...batch);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

/** The headers Envoy puts into a CheckRequest for a typical browser/API call: 20 of them. */
export function checkHeaders(token: string, n: number): Record<string, string> {
  const id = `${(n * 2654435761 >>> 0).toString(16).padStart(8, '0')}-7c1e-4b7a-9f0e-${n.toString(16).padStart(12, '0')}`;
  return {
    ':authority': 'crm.eu.example.com',
    ':method': 'GET',
    ':path': ROUTE.path,
    ':scheme': 'https',
    'x-request-id': id,
    'x-forwarded-proto': 'https',
    'x-forwarded-for': '203.0.113.7',
    'x-envoy-external-address': '203.0.113.7',
    authorization: `Bearer ${token}`,
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    accept: 'application/json, text/plain, */*',
    'accept-encoding': 'gzip, deflate, br',
    'accept-language': 'en-GB,en;q=0.9,de;q=0.8',
    'cache-control': 'no-cache',
    cookie: 'session=7b0d5c2e9a; theme=dark; consent=analytics:0',
    origin: 'https://app.eu.example.com',
    referer: 'https://app.eu.example.com/customers/4711',
    traceparent: `00-${id.replace(/-/g, '').padEnd(32, '0').slice(0, 32)}-00f067aa0ba902b7-01`,
    'x-client-version': '4.18.2',
    'content-type': 'application/json',
  };
}

/** A CheckRequest as Envoy's ext_authz filter builds it (proto field names, as proto-loader takes them). */
export function checkRequest(token: string, n: number): Record<string, unknown> {
  const headers = checkHeaders(token, n);
  return {
    attributes: {
      source: { address: { socket_address: { address: '127.0.0.1', port_value: 40000 + (n % 20000) } } },
      destination: { address: { socket_address: { address: '127.0.0.1', port_value: 10000 } } },
      request: {
        time: { seconds: String(Math.floor(Date.now() / 1000)), nanos: 0 },
        http: {
          id: String(1000000 + n),
          method: 'GET',
          headers,
          path: ROUTE.path,
          host: 'crm.eu.example.com',
          scheme: 'https',
          protocol: 'HTTP/1.1',
          size: '0',
        },
      },
      context_extensions: { 'residency.target': ROUTE.target, 'residency.region': ROUTE.region },
    },
  };
}

type Serialize = (value: unknown) => Buffer;

function checkSerializer(): Serialize {
  const service = envoyPackageDefinition()['envoy.service.auth.v3.Authorization'] as unknown as Record<string, { requestSerialize: Serialize }>;
  const check = service.Check;
  if (!check) throw new Error('envoy.service.auth.v3.Authorization has no Check method in the package definition');
  return check.requestSerialize;
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/**
 * Writes CheckRequests as length-delimited protobuf messages, the binary form ghz reads with
 * --binary-file and sends round-robin (request i gets message i mod count). One request per token
 * given; `count` messages in all (tokens cycle if fewer). Returns the mean message size.
 */
export async function writeCheckRequests(file: string, tokens: readonly string[], count: number): Promise<number> {
  const serialize = checkSerializer();
  const parts: Buffer[] = [];
  let bytes = 0;
  for (let n = 0; n < count; n++) {
    const message = serialize(checkRequest(tokens[n % tokens.length]!, n));
    parts.push(varint(message.length), message);
    bytes += message.length;
  }
  await writeFile(file, Buffer.concat(parts));
  return bytes / count;
}

const PII = ['alice.smith@example.com', '4111 1111 1111 1111', 'DE89 3704 0044 0532 0130 00', 'bob.jones@mail.example.org', '5500 0000 0000 0004'];
const NOTE = 'Customer asked about the delivery window and the invoice; follow-up scheduled with the account team.';

/** A JSON document of about `size` bytes (±1%), one PII value per ~200 bytes: an array of customer records. */
export function piiJson(size: number): Buffer {
  const parts: string[] = [];
  let bytes = 2;
  for (let n = 0; ; n++) {
    const record = `${n === 0 ? '' : ','}{"id":${n},"status":"active","note":"${NOTE.slice(0, 80)}","contact":"${PII[n % PII.length]!}","score":${(n % 97) / 10}}`;
    if (bytes + record.length > size && n > 0) break;
    parts.push(record);
    bytes += record.length;
  }
  // Pad the last bit with a harmless field so the size is close to the target.
  const pad = Math.max(0, size - bytes - 12);
  return Buffer.from(`[${parts.join('')}${pad > 0 ? `,{"pad":"${'x'.repeat(pad)}"}` : ''}]`);
}
