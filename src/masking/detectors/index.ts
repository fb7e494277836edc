// The built-in detector catalog, by name.
import type { Detector } from '../types.js';
import { card } from './card.js';
import { email, phone } from './contact.js';
import { deTaxId, frNir } from './ids-de-fr.js';
import { esDni, esNie, itCodiceFiscale } from './ids-es-it.js';
import { nlBsn, plPesel } from './ids-nl-pl.js';
import { ukNhs, ukNino, usSsn } from './ids-uk-us.js';
import { iban } from './iban.js';
import { ipv4, ipv6 } from './network.js';
import { awsAccessKey, bearerToken, jwt, pemPrivateKey } from './secrets.js';

export { findMatches, type DetectorMatch } from './find.js';
export { customDetector, denyListDetector, type CustomDetectorOptions, type DenyListOptions } from './custom.js';

// Catalog order breaks ties in findMatches (same start, same length): structured secrets and
// checksum-strong formats first, the loosest (phone) last.
const CATALOG: readonly Detector[] = [
  pemPrivateKey,
  jwt,
  bearerToken,
  awsAccessKey,
  email,
  iban,
  card,
  itCodiceFiscale,
  frNir,
  deTaxId,
  plPesel,
  ukNhs,
  nlBsn,
  esDni,
  esNie,
  ukNino,
  usSsn,
  ipv6,
  ipv4,
  phone,
];

export const DETECTORS: ReadonlyMap<string, Detector> = new Map(CATALOG.map((d) => [d.name, d]));

export function detectorByName(name: string): Detector | undefined {
  return DETECTORS.get(name);
}
