// Credentials: JWTs, bearer tokens, AWS access key ids and PEM private keys.
import type { Detector } from '../types.js';

// Segment bounds generous enough for x5c-laden headers and RSA-8192 signatures; they also cap
// the streaming hold-back. A JWE (five segments) loses only its first three to this detector.
const JWT_HEADER = 4096;
const JWT_PAYLOAD = 8192;
const JWT_SIGNATURE = 2048;

function base64urlJson(segment: string): unknown {
  if (segment.length % 4 === 1) return undefined; // not a whole number of bytes
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The header must be a JSON object naming its algorithm; 'eyJ' alone is just '{"' encoded. */
function jwtHeaderValid(candidate: string): boolean {
  const header = base64urlJson(candidate.slice(0, candidate.indexOf('.')));
  return typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string';
}

export const jwt: Detector = {
  name: 'jwt',
  label: '[JWT]',
  // The header starts '{"' and so 'eyJ'. A '.' may follow the match: it ends sentences and the
  // rest of a JWE.
  pattern: new RegExp(
    String.raw`(?<![\w.-])eyJ[A-Za-z0-9_-]{1,${JWT_HEADER - 3}}\.[A-Za-z0-9_-]{0,${JWT_PAYLOAD}}\.[A-Za-z0-9_-]{0,${JWT_SIGNATURE}}(?![\w-])`,
    'g',
  ),
  maxLength: JWT_HEADER + 1 + JWT_PAYLOAD + 1 + JWT_SIGNATURE,
  validate: jwtHeaderValid,
};

const BEARER_TOKEN = 8192;

/** Random tokens have digits or mixed case; 'Bearer authentication' in prose has neither. */
function tokenLike(candidate: string): boolean {
  return /\d/.test(candidate) || (candidate.length >= 16 && /[a-z]/.test(candidate) && /[A-Z]/.test(candidate));
}

export const bearerToken: Detector = {
  name: 'bearer_token',
  label: '[TOKEN]',
  // Only the token is replaced, so 'Bearer ' stays as context via a fixed-length lookbehind
  // (seven characters: the one exception to the one-character boundary rule). There is no
  // lookahead on purpose: a token longer than the bound loses its first 8192 characters rather
  // than escaping whole.
  pattern: new RegExp(String.raw`(?<=[Bb][Ee][Aa][Rr][Ee][Rr] )[A-Za-z0-9._~+/-]{8,${BEARER_TOKEN}}={0,2}`, 'g'),
  maxLength: BEARER_TOKEN + 2,
  validate: tokenLike,
};

export const awsAccessKey: Detector = {
  name: 'aws_access_key',
  label: '[AWS_KEY]',
  // AKIA: long-term user keys; ASIA: temporary STS keys. Bounded by base64 characters so a
  // key-shaped run inside a longer secret does not match on its own.
  pattern: /(?<![A-Za-z0-9/+=])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9/+=])/g,
  maxLength: 20,
};

// '-----BEGIN RSA PRIVATE KEY-----' … '-----END RSA PRIVATE KEY-----' (also EC, DSA, OPENSSH,
// ENCRYPTED, PKCS#8 without a word, PGP '… PRIVATE KEY BLOCK'). The body is any text without
// '--': base64, and the 'Proc-Type'/'DEK-Info' headers of legacy encrypted keys, never contain
// two dashes in a row. That makes the body stop at the next marker, so a body scan never runs
// past the next '-----BEGIN' and a text full of unterminated headers is still scanned in linear
// time (a lazy [\s\S]{0,16000}? would rescan up to 16000 characters after every header).
const PEM_BODY = 16_000;
const PEM_LABEL = '[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----';

export const pemPrivateKey: Detector = {
  name: 'pem_private_key',
  label: '[PRIVATE_KEY]',
  pattern: new RegExp(String.raw`(?<![\w-])-----BEGIN ${PEM_LABEL}(?:[^-]|-(?!-)){0,${PEM_BODY}}-----END ${PEM_LABEL}(?!-)`, 'g'),
  // Markers: 11 + 40 + 22 and 9 + 40 + 22 around the body; 16384 leaves room.
  maxLength: 16_384,
};
