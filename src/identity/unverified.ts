// What may be read from a token before its signature is checked: just enough to refuse the
// obviously unacceptable and to choose which issuer's keys to check it with. Nothing read here is
// trusted; the issuer named here is checked again by jwtVerify once the signature holds.
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ResidencyError } from '../errors/catalog.js';

export interface UnverifiedToken {
  readonly alg: string;
  readonly issuer: string;
}

export function readUnverified(token: string): UnverifiedToken {
  const alg = checkHeader(token);
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch (err) {
    throw new ResidencyError('TOKEN_MALFORMED', `payload does not decode: ${(err as Error).message}`, { cause: err });
  }
  const { iss } = claims;
  if (iss === undefined) throw new ResidencyError('TOKEN_ISSUER_UNKNOWN', 'token has no "iss" claim');
  if (typeof iss !== 'string') throw new ResidencyError('TOKEN_CLAIM_INVALID', '"iss" claim is not a string');
  return { alg, issuer: iss };
}

function checkHeader(token: string): string {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
  } catch (err) {
    throw new ResidencyError('TOKEN_MALFORMED', `header does not decode: ${(err as Error).message}`, { cause: err });
  }
  const { alg } = header;
  if (typeof alg !== 'string' || alg === '') throw new ResidencyError('TOKEN_MALFORMED', 'header has no "alg"');
  // Refused by name, in any spelling, before anything else: an unsigned token must never get as
  // far as key selection, whatever an algorithm allow-list might one day say.
  if (alg.trim().toLowerCase() === 'none') throw new ResidencyError('TOKEN_ALGORITHM_NOT_ALLOWED', `alg "${alg}" is never accepted`);
  // Critical extensions demand processing we do not do (RFC 7515 §4.1.11), b64=false included.
  if (Object.hasOwn(header, 'crit')) throw new ResidencyError('TOKEN_MALFORMED', 'header carries "crit"');
  return alg;
}
