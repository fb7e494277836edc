// IP addresses.
import { isIPv6 } from 'node:net';
import type { Detector } from '../types.js';

const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;
const IPV4 = String.raw`(?:${OCTET}\.){3}${OCTET}`;

// Dotted runs longer than four parts are versions and OIDs (1.2.3.4.5, 1.3.6.1.4.1), so a '.'
// on either side disqualifies. With a one-character lookahead that also rules out an address
// that ends a sentence ('… from 10.0.0.1.'): we cannot tell '.5' from '. ' without looking two
// characters ahead, and leaving versions alone was judged the better trade.
export const ipv4: Detector = {
  name: 'ipv4',
  label: '[IPV4]',
  pattern: new RegExp(String.raw`(?<![\w.])${IPV4}(?![\w.])`, 'g'),
  maxLength: 15,
};

// Groups joined by single colons, with at most one '::', optionally ending in a dotted IPv4.
// The pattern over-accepts (e.g. nine groups around '::') and isIPv6 has the last word; it only
// has to make sure a candidate is never a cut-down piece of a longer run.
const H = '[0-9A-Fa-f]{1,4}';
const FULL = String.raw`${H}(?::${H}){7}|${H}(?::${H}){5}:${IPV4}`;
const COMPRESSED = String.raw`(?:${H}(?::${H}){0,6})?::(?:(?:${H}:){0,5}${IPV4}|${H}(?::${H}){0,6})?`;

// Left side up to seven groups (34), '::', right side up to five groups and an IPv4 (25 + 15).
const IPV6_MAX = 34 + 2 + 40;

/** '::' and '::1' (unspecified, loopback) say nothing about anyone: at least two groups. */
const meaningfulIPv6 = (candidate: string): boolean => isIPv6(candidate) && (candidate.match(/[0-9A-Fa-f]+/g) ?? []).length >= 2;

export const ipv6: Detector = {
  name: 'ipv6',
  label: '[IPV6]',
  // A ':' either side means a longer colon run (a MAC-like or time-like token); '.' after is
  // allowed, unlike IPv4, because no common non-address token continues an IPv6 with '.'.
  pattern: new RegExp(String.raw`(?<![\w:.])(?:${FULL}|${COMPRESSED})(?![\w:])`, 'g'),
  maxLength: IPV6_MAX,
  validate: meaningfulIPv6,
};
