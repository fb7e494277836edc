// The payload Envoy's jwt_authn filter verified, as the CheckRequest's metadata carries it.
import { describe, expect, it } from 'vitest';
import type { JwtAuthnConfig } from '../../../src/identity/config.js';
import { jwtAuthnIdentity } from '../../../src/identity/jwt-authn.js';
import { ResidencyError, type ErrorCode } from '../../../src/errors/catalog.js';
import type { JsonObject } from '../../../src/envoy/struct.js';

const config: JwtAuthnConfig = { trusted: true, payload_key: 'jwt_payload', region_claim: 'https://idp.example/claims.residency.region', issuers: ['https://idp.example'] };
const regions = new Set(['eu-west-1', 'us-east-1']);
const payload = (claims: JsonObject): JsonObject => ({ jwt_payload: { iss: 'https://idp.example', sub: 'svc', exp: 1900000000, ...claims } });
const nested = (region: string) => ({ 'https://idp.example/claims': { residency: { region } } });

function codeOf(metadata: JsonObject): ErrorCode | undefined {
  try {
    jwtAuthnIdentity(metadata, config, regions);
  } catch (err) {
    if (err instanceof ResidencyError) return err.code;
    throw err;
  }
  return undefined;
}

describe('jwtAuthnIdentity', () => {
  it('reads issuer, subject, expiry and the region at the configured claim path', () => {
    expect(jwtAuthnIdentity(payload(nested('eu-west-1')), config, regions)).toEqual({
      issuer: 'https://idp.example', subject: 'svc', region: 'eu-west-1', source: 'jwt_authn', expiresAt: 1900000000,
    });
  });

  it('sees nothing when the namespace or the payload key is absent', () => {
    expect(jwtAuthnIdentity(undefined, config, regions)).toBeUndefined();
    expect(jwtAuthnIdentity({}, config, regions)).toBeUndefined();
    expect(jwtAuthnIdentity({ other_key: { iss: 'https://idp.example' } }, config, regions)).toBeUndefined();
  });

  it.each<[string, JsonObject, ErrorCode]>([
    ['a payload that is not an object', { jwt_payload: 'eyJ...' }, 'TOKEN_CLAIM_INVALID'],
    ['an issuer not listed', payload({ iss: 'https://elsewhere.example', ...nested('eu-west-1') }), 'TOKEN_ISSUER_UNKNOWN'],
    ['no issuer', { jwt_payload: { sub: 'svc', ...nested('eu-west-1') } }, 'TOKEN_ISSUER_UNKNOWN'],
    ['no subject', payload({ sub: '', ...nested('eu-west-1') }), 'TOKEN_CLAIM_INVALID'],
    ['no region', payload({}), 'TOKEN_REGION_MISSING'],
    ['a region of the wrong type', payload({ 'https://idp.example/claims': { residency: { region: 7 } } }), 'TOKEN_CLAIM_INVALID'],
    ['an undeclared region', payload(nested('ap-south-1')), 'TOKEN_REGION_UNKNOWN'],
  ])('refuses %s', (_name, metadata, code) => {
    expect(codeOf(metadata)).toBe(code);
  });

  it('reads claims from own keys only', () => {
    const inherited = JSON.parse('{"jwt_payload": {"__proto__": {"iss": "https://idp.example", "sub": "x"}}}') as JsonObject;
    expect(codeOf(inherited)).toBe('TOKEN_ISSUER_UNKNOWN');
  });
});
