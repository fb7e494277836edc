// The `audit` section of the config file.
import { z } from 'zod';

export const auditConfigSchema = z.strictObject({
  file: z.string().min(1),
});

export type AuditConfig = z.output<typeof auditConfigSchema>;
