// docs/lint-envoy.md documents every rule lint-envoy has, with the severity it reports, and no other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../../src/lint/index.js';
import { ROOT } from './support.js';

const doc = readFileSync(join(ROOT, 'docs/lint-envoy.md'), 'utf8');

describe('docs/lint-envoy.md', () => {
  it('has a section for every rule, and only for rules that exist', () => {
    const sections = [...doc.matchAll(/^### `([a-z-]+)`$/gm)].map((m) => m[1]);
    expect(sections).toEqual(Object.keys(RULES));
  });

  it("lists every rule in the table with the severity it defaults to", () => {
    const rows = new Map([...doc.matchAll(/^\| \[`([a-z-]+)`\]\(#[a-z-]+\) \| ([a-z]+)/gm)].map((m) => [m[1], m[2]]));
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(Object.entries(RULES).map(([id, r]) => [id, r.severity])));
  });

  it('points at a sample config for every rule', () => {
    expect(doc).toContain('test/fixtures/envoy/RULE.yaml');
  });
});
