// Renders docs/config-reference.md from the config schema itself, so the reference cannot drift
// from what `validate` accepts (test/unit/config/reference.test.ts compares them).
//   npx tsx scripts/config-reference.ts          rewrite the file
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema } from '../src/config/schema.js';

export const REFERENCE_FILE = fileURLToPath(new URL('../docs/config-reference.md', import.meta.url));

interface Node {
  type?: string | string[];
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  additionalProperties?: Node | boolean;
  anyOf?: Node[];
  oneOf?: Node[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
  pattern?: string;
  format?: string;
}

interface Row {
  path: string;
  type: string;
  required: boolean;
  default: string;
  notes: string;
}

const SAFE_MAX = Number.MAX_SAFE_INTEGER;

function typeOf(node: Node): string {
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeOf))].join(' \\| ');
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  if (node.type === 'array') return `list of ${node.items ? typeOf(node.items) : 'any'}`;
  if (node.type === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object') return 'map';
  return Array.isArray(node.type) ? node.type.join(' \\| ') : (node.type ?? 'any');
}

function notes(node: Node): string {
  const out: string[] = [];
  if (node.minLength) out.push(`min length ${node.minLength}`);
  if (node.minItems) out.push(`at least ${node.minItems}`);
  if (node.exclusiveMinimum !== undefined) out.push(`> ${node.exclusiveMinimum}`);
  if (node.minimum !== undefined && node.minimum > -SAFE_MAX) out.push(`≥ ${node.minimum}`);
  if (node.maximum !== undefined && node.maximum < SAFE_MAX) out.push(`≤ ${node.maximum}`);
  if (node.format) out.push(node.format);
  if (node.pattern) out.push(`matches \`${node.pattern.replaceAll('|', '\\|')}\``);
  return out.join('; ');
}

function walk(node: Node, path: string, required: boolean, rows: Row[]): void {
  if (path !== '') {
    rows.push({ path, type: typeOf(node), required, default: node.default === undefined ? '' : `\`${JSON.stringify(node.default)}\``, notes: notes(node) });
  }
  const alternatives = node.anyOf ?? node.oneOf;
  for (const alt of alternatives ?? []) if (alt.type === 'object' || alt.type === 'array') walk(alt, path, required, []);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    walk(child, path === '' ? key : `${path}.${key}`, (node.required ?? []).includes(key), rows);
  }
  if (node.type === 'array' && node.items) walk(node.items, `${path}[]`, false, rows);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}.<name>`, false, rows);
}

export function renderConfigReference(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Node;
  const rows: Row[] = [];
  walk(schema, '', true, rows);
  const lines = rows.map((r) => `| \`${r.path}\` | ${r.type} | ${r.required ? 'yes' : ''} | ${r.default} | ${r.notes} |`);
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npx tsx scripts/config-reference.ts`; a test fails when it is stale. -->',
    '',
    'Every option residency-gate accepts, with its type, whether it is required (within its section), its',
    'default and its constraints. Unknown keys are errors. What the options mean, with examples:',
    '[configuration.md](configuration.md), [policy.md](policy.md), [identity.md](identity.md),',
    '[masking.md](masking.md), [audit.md](audit.md), [approvals.md](approvals.md), [operations.md](operations.md).',
    'Checks that span options (regions a rule names must be declared, detector names, …) are listed there.',
    '',
    '| option | type | required | default | constraints |',
    '|---|---|---|---|---|',
    ...lines,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(REFERENCE_FILE, renderConfigReference());
  process.stdout.write(`wrote ${REFERENCE_FILE}\n`);
}
