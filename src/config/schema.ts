// The configuration file's schema: every option, its default, and the checks that span several
// options. Unknown keys are errors (a typo must not silently disable a rule).
import { z } from 'zod';
import { adminConfigSchema } from '../admin/config.js';
import { approvalsConfigSchema } from '../approvals/config.js';
import { auditConfigSchema } from '../audit/config.js';
import { identityConfigSchema, identityRegionRefs } from '../identity/config.js';
import { logConfigSchema } from '../logging/config.js';
import { tlsConfigSchema } from '../tls/config.js';
import { maskingConfigSchema } from '../masking/config.js';
import { policyConfigSchema, policyProfileRefs, type TargetConfig } from '../policy/config.js';

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:9191');

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        listen: hostPort.default('127.0.0.1:9191'),
        shutdown_grace_ms: z.number().int().nonnegative().default(5000),
        tls: tlsConfigSchema.optional(), // docs/operations.md
      })
      .prefault({}),
    identity: identityConfigSchema, // bearer issuers, SPIFFE mapping, jwt_authn (docs/identity.md)
    // Regions, targets, rules and masking rules; its own cross-checks run inside (src/policy/config.ts).
    policy: policyConfigSchema,
    audit: auditConfigSchema,
    masking: maskingConfigSchema.prefault({}),
    log: logConfigSchema,
    admin: adminConfigSchema, // docs/operations.md
    approvals: approvalsConfigSchema, // tickets, grants, reviewers (docs/approvals.md)
    /** true only for demo configs: `token mint` refuses to sign for any other (docs/operations.md). */
    demo: z.boolean().default(false),
  })
  .superRefine((config, ctx) => {
    // Masking profiles are defined in another section, so only here can the policy's names be checked.
    for (const ref of policyProfileRefs(config.policy)) {
      if (!Object.hasOwn(config.masking.profiles, ref.profile)) {
        ctx.addIssue({ code: 'custom', path: ['policy', ...ref.path], message: `unknown masking profile "${ref.profile}"; define it under masking.profiles` });
      }
    }
    const seen = new Map<string, number>();
    config.identity.issuers.forEach((iss, i) => {
      const first = seen.get(iss.issuer);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['identity', 'issuers', i, 'issuer'], message: `duplicate of identity.issuers[${first}]` });
      }
      seen.set(iss.issuer, i);
    });
    for (const ref of identityRegionRefs(config.identity)) {
      if (!config.policy.regions.includes(ref.region)) {
        ctx.addIssue({ code: 'custom', path: ['identity', ...ref.path], message: `unknown region "${ref.region}"; declare it in policy.regions` });
      }
    }
  });

export type Config = z.output<typeof configSchema>;
export type IssuerConfig = Config['identity']['issuers'][number];
export type { TargetConfig };
