// Email addresses and phone numbers.
import type { Detector } from '../types.js';

// Local part up to 64 (RFC 5321), then up to six dot-terminated labels and an alphabetic TLD.
// The lookbehind keeps us from starting mid-way through a longer local part ('x.john@…').
// Labels are loose (a leading '-' passes): masking a malformed address is harmless.
const LOCAL = 64;
const LABEL = 63;
const LABELS = 6;
const TLD = 24;

export const email: Detector = {
  name: 'email',
  label: '[EMAIL]',
  pattern: /(?<![\w.+%-])[A-Za-z0-9_%+-][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.){1,6}[A-Za-z]{2,24}(?![\w-])/g,
  maxLength: LOCAL + 1 + LABELS * (LABEL + 1) + TLD,
};

// Phone numbers are where false positives hurt most (order numbers, amounts, ids), so only
// shapes that are unmistakably written as phone numbers match:
//  - international: '+', a non-zero digit, then 7–14 more digits with at most two separators
//    (space . - ( )) between digits: '+44 20 7946 0958', '+1 (555) 123-4567';
//  - US: '(555) 123-4567', '555-123-4567', '555.123.4567';
//  - trunk-prefixed national numbers with their usual spaces: UK '07700 900123', '020 7946 0958',
//    '0161 496 0000'; FR '01 23 45 67 89'; DE '030 12345678', '040/1234567'.
// A bare run of digits never matches. The longer national shapes come first: alternation takes
// the first branch that fits, and '020 7946' alone would satisfy the DE branch.
const INTERNATIONAL = String.raw`\+[1-9](?:[ .()-]{0,2}\d){7,14}`;
const US = String.raw`\([2-9]\d{2}\) ?\d{3}[-. ]\d{4}|[2-9]\d{2}-\d{3}-\d{4}|[2-9]\d{2}\.\d{3}\.\d{4}`;
const UK = String.raw`0[1-9]\d{3} \d{3} \d{3}|0[1-9]\d{2} \d{3} \d{4}|0[1-9]\d \d{4} \d{4}`;
const FR = String.raw`0[1-9](?:[ .-]\d{2}){4}`;
const TRUNK = String.raw`0[1-9]\d{1,4}[ /-]\d{4,8}`;

const INTERNATIONAL_MAX = 2 + 14 * 3;

function balancedParentheses(value: string): boolean {
  let open = false;
  for (const c of value) {
    if (c === '(') {
      if (open) return false;
      open = true;
    } else if (c === ')') {
      if (!open) return false;
      open = false;
    }
  }
  return !open;
}

export const phone: Detector = {
  name: 'phone',
  label: '[PHONE]',
  pattern: new RegExp(String.raw`(?<![\w+.-])(?:${INTERNATIONAL}|${US}|${UK}|${FR}|${TRUNK})(?!\w)`, 'g'),
  maxLength: INTERNATIONAL_MAX,
  validate(candidate) {
    const digits = candidate.replace(/\D/g, '').length;
    if (candidate.startsWith('+')) return digits >= 8 && digits <= 15 && balancedParentheses(candidate);
    // National numbers with a trunk 0 are 10–12 digits in the countries above; fewer is more
    // likely an internal id than a phone number.
    if (candidate.startsWith('0')) return digits >= 10 && digits <= 12;
    return digits === 10;
  },
};
