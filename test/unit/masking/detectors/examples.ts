// Real-format values every detector must find, shared by the per-detector tests and the
// catalog-wide checks. Check digits are published test values where one exists (noted).
import type { Detector } from '../../../../src/masking/types.js';
import { findMatches } from '../../../../src/masking/detectors/find.js';

/** What findMatches reports for one detector, as plain strings. */
export const found = (detector: Detector, text: string): string[] => findMatches(text, [detector]).map((m) => m.value);

const jwtHeader = Buffer.from('{"alg":"RS256","kid":"k1"}').toString('base64url');
const jwtBody = Buffer.from('{"sub":"u-42","exp":1900000000}').toString('base64url');

export const PEM_KEY = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'Proc-Type: 4,ENCRYPTED',
  'DEK-Info: AES-128-CBC,3F17F5316E2BAC89',
  '',
  'MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi4wq8Q2eFfR5S1qk2s4o8UFAKE',
  'q0uvJ4uGZSQoTA0ZUsfWTKoD4Ly7Gkb0n0Q1r0Wf6BAvU0JTYUqYyX0ZkrFAKE==',
  '-----END RSA PRIVATE KEY-----',
].join('\n');

export const POSITIVES: Readonly<Record<string, readonly string[]>> = {
  email: ['john.doe@example.com', 'a.b-c+tag@mail.example.co.uk', 'x_y%z@sub-domain.example.museum', 'Q@EXAMPLE.ORG'],
  phone: [
    '+44 20 7946 0958',
    '+1 (555) 123-4567',
    '+4915112345678',
    '+33.1.23.45.67.89',
    '(555) 123-4567',
    '555-123-4567',
    '555.123.4567',
    '07700 900123',
    '07700 900 123',
    '020 7946 0958',
    '0161 496 0000',
    '030 12345678',
    '040/1234567',
    '01 23 45 67 89',
    '06.12.34.56.78',
  ],
  // Scheme test numbers published by the card networks and payment providers.
  card: [
    '4111111111111111',
    '4111 1111 1111 1111',
    '5555-5555-5555-4444',
    '2223000048400011',
    '378282246310005',
    '3782 822463 10005',
    '6011111111111117',
    '3530111333300000',
    '30569309025904',
    '6200000000000005',
    '4222222222222',
  ],
  // Examples from the SWIFT IBAN registry and national bank documentation.
  iban: [
    'GB82WEST12345698765432',
    'GB82 WEST 1234 5698 7654 32',
    'DE89370400440532013000',
    'DE89 3704 0044 0532 0130 00',
    'FR1420041010050500013M02606',
    'NL91ABNA0417164300',
    'BE68539007547034',
    'NO9386011117947',
    'MT84MALT011000012345MTLCAST001S',
    'CH9300762011623852957',
    'ES91 2100 0418 4502 0005 1332',
    'IT60X0542811101000000123456',
    'AT611904300234573201',
    'PL61109010140000071219812874',
  ],
  us_ssn: ['123-45-6789', '078-05-1120', '665-01-0001'],
  ipv4: ['192.168.1.1', '10.0.0.255', '255.255.255.255', '8.8.8.8', '0.0.0.0'],
  ipv6: [
    '2001:db8::1',
    '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    'fe80::1ff:fe23:4567:890a',
    '::ffff:192.0.2.128',
    '2001:db8:0:0:0:0:2:1',
    '64:ff9b::192.0.2.33',
    'FE80::1',
  ],
  // The jwt.io example token, and one built here with an RS256 header.
  jwt: [
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    `${jwtHeader}.${jwtBody}.c2lnbmF0dXJl`,
    `${jwtHeader}.${jwtBody}.`,
  ],
  bearer_token: ['mF_9.B5f-4.1JqM', 'ya29.a0AfH6SMBx3Y2kR7', 'AbCdEfGhIjKlMnOpQrStUv', 'dGhpcyBpcyBhIHRva2Vu+/9='],
  // AKIAIOSFODNN7EXAMPLE is the example key id in the AWS documentation.
  aws_access_key: ['AKIAIOSFODNN7EXAMPLE', 'ASIAY34FZKBOKMUTVV7A'],
  pem_private_key: [
    PEM_KEY,
    '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----',
    '-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\\n-----END OPENSSH PRIVATE KEY-----',
  ],
  uk_nino: ['AB123456C', 'AB 12 34 56 C', 'JG103759A', 'ZY 99 99 99 D'],
  // 943 476 5919 is the NHS Digital example number.
  uk_nhs: ['943 476 5919', '9434765919', '401 023 2137', '4857773457'],
  // 86095742719 is the commonly published sample Steuer-IdNr.
  de_tax_id: ['86095742719', '86 095 742 719', '47036892816', '65929970489'],
  // 2 55 08 14 168 025 38 is the example NIR on Wikipedia.
  fr_nir: ['2 55 08 14 168 025 38', '255081416802538', '1 84 12 76 451 089 46', '1 85 05 2A 123 456 33'],
  es_dni: ['12345678Z', '12345678-Z', '00000000T', '99999999r'],
  es_nie: ['X1234567L', 'Y1234567X', 'Z-1234567-R'],
  // RSSMRA85T10A562S: Mario Rossi, the standard example; the second uses omocodia.
  it_codice_fiscale: ['RSSMRA85T10A562S', 'RSSMRA85T10A56NH', 'BNCLRA91M52F205G', 'rssmra85t10a562s'],
  // 123456782 and 111222333 are the usual test BSNs.
  nl_bsn: ['123456782', '111222333', '999999990'],
  // 44051401359 is the commonly published example PESEL (born 14 May 1944).
  pl_pesel: ['44051401359', '90090515836', '02070803628'],
};

