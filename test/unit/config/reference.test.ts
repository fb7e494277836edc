// docs/config-reference.md is generated from the schema; this keeps it in step.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFERENCE_FILE, renderConfigReference } from '../../../scripts/config-reference.js';

describe('docs/config-reference.md', () => {
  it('is what the config schema renders (run `npx tsx scripts/config-reference.ts` after changing the schema)', () => {
    expect(readFileSync(REFERENCE_FILE, 'utf8')).toBe(renderConfigReference());
  });

  it('lists every top-level section and an option from each area', () => {
    const text = renderConfigReference();
    for (const option of ['server.listen', 'identity.issuers[].jwks.file', 'policy.rules[].outcome', 'audit.durability', 'masking.profiles.<name>.detectors', 'approvals']) {
      expect(text).toContain(`\`${option}\``);
    }
  });
});
