// The `log` section.
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const logConfigSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info'),
    /** Human-readable lines instead of JSON: `auto` when stdout is a terminal and pino-pretty is installed. */
    pretty: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  })
  .prefault({});

export type LogConfig = z.output<typeof logConfigSchema>;
