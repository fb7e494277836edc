// The `masking` section of the config file: named profiles of detectors and actions.
//
// masking:
//   hash_key_file: /etc/residency-gate/hmac.key   # needed when any detector uses `hash`
//   profiles:
//     eu-strict:
//       detectors: { email: redact, card: partial, iban: hash }
//       fields: [password, ssn]                     # any depth, case-insensitive
//       paths: [$.customer.birth_date, '*.tax_id']
//       custom:
//         - { name: employee_id, pattern: 'EMP-\d{6}', label: '[EMPLOYEE]' }
//       deny_list:
//         - { name: projects, values: [Bluebird, Nightjar] }
//
// A profile lists its detectors by name: there is no implicit "everything". The names are checked
// against the detector catalog in buildProfiles (profile.ts), which this schema cannot import.
// Custom and deny-list detectors take their action from `detectors` when named there, else redact.
import { z } from 'zod';
import { parsePath } from './engine/paths.js';

const ACTIONS = ['redact', 'partial', 'hash'] as const;
const detectorName = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a detector name is lower-case letters, digits, _ and -');
const label = z.string().min(1).max(64);

const fieldPath = z.string().superRefine((source, ctx) => {
  try {
    parsePath(source);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const customDetector = z.strictObject({
  name: detectorName,
  /** ECMAScript regex source, compiled with the g and u flags; checked for safety when profiles are built. */
  pattern: z.string().min(1),
  label: label.optional(),
  /** Required when the pattern has an unbounded repetition (*, +, {n,}). */
  max_length: z.number().int().positive().optional(),
});

const denyList = z.strictObject({
  name: detectorName,
  values: z.array(z.string().min(1)).min(1),
  label: label.optional(),
});

const profile = z
  .strictObject({
    detectors: z.record(z.string().min(1), z.enum(ACTIONS)),
    fields: z.array(z.string().min(1)).default([]),
    paths: z.array(fieldPath).default([]),
    custom: z.array(customDetector).default([]),
    deny_list: z.array(denyList).default([]),
  })
  .superRefine((p, ctx) => {
    if (Object.keys(p.detectors).length + p.fields.length + p.paths.length + p.custom.length + p.deny_list.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'the profile masks nothing: list detectors, fields, paths, custom or deny_list' });
    }
    const seen = new Set<string>();
    [...p.custom.map((c, i) => ['custom', i, c.name] as const), ...p.deny_list.map((d, i) => ['deny_list', i, d.name] as const)].forEach(
      ([list, i, name]) => {
        if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [list, i, 'name'], message: `detector "${name}" is defined twice` });
        seen.add(name);
      },
    );
  });

export const maskingConfigSchema = z
  .strictObject({
    /** A file holding the HMAC key for the `hash` action (at least 32 bytes; a trailing newline is ignored). */
    hash_key_file: z.string().min(1).optional(),
    profiles: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), profile).default({}),
  })
  .superRefine((masking, ctx) => {
    if (masking.hash_key_file !== undefined) return;
    for (const [name, p] of Object.entries(masking.profiles)) {
      for (const [detector, action] of Object.entries(p.detectors)) {
        if (action === 'hash') {
          ctx.addIssue({ code: 'custom', path: ['profiles', name, 'detectors', detector], message: 'the hash action needs masking.hash_key_file' });
        }
      }
    }
  });

export type MaskingConfig = z.output<typeof maskingConfigSchema>;
export type MaskingProfileConfig = MaskingConfig['profiles'][string];
