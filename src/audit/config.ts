// The `audit` section of the config file. Defaults favour losing nothing: sync durability, keep
// every rotated file. Checkpoints need a signing key; without one the trail has its chain only.
import { z } from 'zod';

export const DURABILITY_MODES = ['sync', 'batch', 'async'] as const;
export type Durability = (typeof DURABILITY_MODES)[number];

export const auditConfigSchema = z.strictObject({
  file: z.string().min(1),
  /** sync: append resolves after fdatasync; batch: fdatasync within batch_interval_ms; async: on rotation/close only. */
  durability: z.enum(DURABILITY_MODES).default('sync'),
  batch_interval_ms: z.number().int().positive().max(60_000).default(100),
  checkpoint_every_records: z.number().int().positive().default(1000),
  // Seconds may be fractional so tests need not wait whole seconds.
  checkpoint_every_seconds: z.number().positive().default(60),
  /** A private Ed25519 JWK (kty OKP); relative to the config file. */
  signing_key_file: z.string().min(1).optional(),
  rotate_bytes: z.number().int().min(1024).default(100 * 1024 * 1024),
  rotate_interval_seconds: z.number().positive().optional(),
  /** How many rotated files to keep; unset keeps them all (deleting audit data is opt-in). */
  retain_files: z.number().int().positive().optional(),
});

export type AuditConfig = z.output<typeof auditConfigSchema>;
export type AuditConfigInput = z.input<typeof auditConfigSchema>;
