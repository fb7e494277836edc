// The identity examples in docs/identity.md are valid configuration.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';

const doc = readFileSync(new URL('../../../docs/identity.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((m) => parse(m[1] ?? '') as Record<string, unknown>)
  .filter((y) => y !== null && typeof y === 'object' && 'identity' in y);

describe('docs/identity.md', () => {
  it('has identity examples', () => expect(examples.length).toBeGreaterThanOrEqual(3));

  it.each(examples.map((e, i) => [i, e] as const))('example %i parses', (_i, example) => {
    const config = parseConfig({ ...example, policy: { regions: ['eu-west-1', 'us-east-1'] }, audit: { file: 'a.jsonl' } }, '/tmp');
    expect(config.identity).toBeDefined();
  });
});
