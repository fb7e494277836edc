// The `masking` section of the config file: named profiles of detectors and actions.
import { z } from 'zod';

export const maskingConfigSchema = z.strictObject({
  profiles: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), z.strictObject({})).default({}),
});

export type MaskingConfig = z.output<typeof maskingConfigSchema>;
