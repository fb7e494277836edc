// What a matched value becomes. Replacements never contain the value itself, except the last
// four characters that `partial` deliberately keeps.
import { createHmac } from 'node:crypto';
import type { CompiledRule } from './compile.js';

/** The JSON string that replaces a whole value under a configured field name or path. */
export const FIELD_REPLACEMENT = '[REDACTED]';

/** How many trailing characters `partial` keeps, and how long a value must be to keep any. */
const PARTIAL_KEEP = 4;
const PARTIAL_MIN_LENGTH = 8;

/**
 * `****1111`: a fixed four stars (the value's length is not revealed) and the last four
 * characters (code points, so an emoji is never cut in half). Separators are not preserved.
 * Values shorter than eight characters keep nothing, so at least half of a value stays hidden.
 */
export function partialMask(value: string): string {
  const chars = Array.from(value);
  if (chars.length < PARTIAL_MIN_LENGTH) return '****';
  return `****${chars.slice(-PARTIAL_KEEP).join('')}`;
}

/** '[EMAIL]' → 'EMAIL', so the hash token can read '[EMAIL:hmac:…]'. */
function bareLabel(label: string): string {
  return label.startsWith('[') && label.endsWith(']') ? label.slice(1, -1) : label;
}

/**
 * `[EMAIL:hmac:<16 hex>]`: HMAC-SHA256 keyed, so equal values give equal tokens (joinable across
 * requests and fields) while a dictionary attack needs the key. 64 bits of the MAC are plenty to
 * tell values apart in one data set.
 */
export function hashToken(label: string, value: string, key: Buffer): string {
  const mac = createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, 16);
  return `[${bareLabel(label)}:hmac:${mac}]`;
}

export function replacementFor(rule: CompiledRule, value: string, hashKey: Buffer | undefined): string {
  switch (rule.action) {
    case 'redact':
      return rule.detector.label;
    case 'partial':
      return partialMask(value);
    case 'hash':
      // compileProfile refuses a hashing rule without a key; this guards the type only.
      if (hashKey === undefined) throw new Error(`detector "${rule.detector.name}": the hash action needs a hash key`);
      return hashToken(rule.detector.label, value, hashKey);
  }
}
