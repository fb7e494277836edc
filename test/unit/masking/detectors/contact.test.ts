import { describe, expect, it } from 'vitest';
import { email, phone } from '../../../../src/masking/detectors/contact.js';
import { found, POSITIVES } from './examples.js';

describe('email', () => {
  it.each(POSITIVES.email ?? [])('finds %s in prose, JSON and after a colon', (address) => {
    expect(found(email, `write to ${address} today`)).toEqual([address]);
    expect(found(email, `{"email":"${address}"}`)).toEqual([address]);
    expect(found(email, `mailto:${address}`)).toEqual([address]);
  });

  it('leaves a sentence-ending period and trailing punctuation out', () => {
    expect(found(email, 'Mail jane@example.com.')).toEqual(['jane@example.com']);
    expect(found(email, '(jane@example.com), <bob@example.org>')).toEqual(['jane@example.com', 'bob@example.org']);
  });

  it('does not match without a dotted domain or an alphabetic TLD', () => {
    expect(found(email, 'user@localhost')).toEqual([]);
    expect(found(email, 'user@10.0.0.1')).toEqual([]);
    expect(found(email, 'user@example.c')).toEqual([]);
    expect(found(email, '@example.com and user@ and @@')).toEqual([]);
  });

  it('does not start inside a longer local part or end inside a longer domain', () => {
    // 65 characters before '@': longer than any local part, so no suffix of it may match either.
    expect(found(email, `${'a'.repeat(65)}@example.com`)).toEqual([]);
    expect(found(email, 'jane@example.com_suffix')).toEqual([]);
    expect(found(email, 'jane@example.com-x')).toEqual([]);
  });

  it('ignores package scopes and versions that contain @', () => {
    expect(found(email, '@types/node@20.19.4 and lodash@4.17.21')).toEqual([]);
  });
});

describe('phone', () => {
  it.each(POSITIVES.phone ?? [])('finds %s', (number) => {
    expect(found(phone, `call ${number} now`)).toEqual([number]);
    expect(found(phone, `"tel":"${number}"`)).toEqual([number]);
  });

  it('does not take a bare run of digits', () => {
    for (const text of ['5551234567', '07700900123', '02079460958', '3012345678', '0123456789']) {
      expect(found(phone, `id ${text}`), text).toEqual([]);
    }
  });

  it('does not take order numbers, timestamps, versions, amounts or dates', () => {
    const texts = [
      'order 2024-000123',
      '2024-01-15T10:30:00+01:00',
      'version 1.2.3.4.5',
      'total 1 234 567,89',
      'on 15.01.2024',
      'ref 123-456-7890', // a US area code cannot start with 1
      '0221 1234', // too few digits for a national number
      'SKU 0042 1234',
      '+1 2 3',
      '+0 20 7946 0958', // no country code starts with 0
    ];
    for (const text of texts) expect(found(phone, text), text).toEqual([]);
  });

  it('does not start inside a longer token', () => {
    expect(found(phone, 'x555-123-4567')).toEqual([]);
    expect(found(phone, '1555-123-4567')).toEqual([]);
    expect(found(phone, 'a+44 20 7946 0958')).toEqual([]);
    expect(found(phone, '555-123-45678')).toEqual([]);
  });

  it('rejects unbalanced parentheses and too many digits', () => {
    expect(found(phone, '+1 555) 123-4567')).toEqual([]);
    expect(found(phone, '+1234567890123456')).toEqual([]);
  });
});
