// `residency-gate audit report FILES… [--from T] [--to T]`: decisions counted by origin region ×
// target region × decision, as a table for a terminal.
import { parseArgs } from 'node:util';
import { readRecords, type ReadStats } from '../../audit/query.js';
import { formatCount, parseTime, trailFiles, write, type CliIo } from './io.js';

type Decision = 'allow' | 'allow-masked' | 'reroute' | 'would-deny' | 'deny' | 'approval' | 'approved';
const DECISIONS: readonly Decision[] = ['allow', 'allow-masked', 'reroute', 'would-deny', 'deny', 'approval', 'approved'];
// Always shown, so an empty report still says what it counts; the others only when they occur.
const ALWAYS: ReadonlySet<Decision> = new Set(['allow', 'deny']);

interface Row {
  readonly origin: string;
  readonly target: string;
  readonly counts: Record<Decision, number>;
}

const zero = (): Record<Decision, number> => Object.fromEntries(DECISIONS.map((d) => [d, 0])) as Record<Decision, number>;

export async function auditReport(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { from: { type: 'string' }, to: { type: 'string' } } });
  const filter = { from: parseTime('--from', values.from), to: parseTime('--to', values.to) };
  const stats: ReadStats = { unreadable: 0 };
  const rows = new Map<string, Row>();
  for await (const record of readRecords(await trailFiles(positionals), filter, stats)) {
    if (record.kind !== 'decision') continue;
    // Unknown regions (no token, no target) are real outcomes too: they show as "-".
    const origin = record.origin_region ?? '-';
    const target = record.target_region ?? '-';
    const key = `${origin}\u0000${target}`;
    const row = rows.get(key) ?? { origin, target, counts: zero() };
    row.counts[record.decision] += 1;
    rows.set(key, row);
  }
  const sorted = [...rows.values()].sort((a, b) => a.origin.localeCompare(b.origin) || a.target.localeCompare(b.target));
  const range = `${values.from ?? 'the beginning'} to ${values.to ?? 'the end'}`;
  await write(io.stdout, `Decisions from ${range}\n\n${table(sorted)}`);
  if (stats.unreadable > 0) io.stderr.write(`skipped ${stats.unreadable} unreadable line(s)\n`);
  return 0;
}

export function table(rows: readonly Row[]): string {
  const total = zero();
  for (const r of rows) for (const d of DECISIONS) total[d] += r.counts[d];
  const shown = DECISIONS.filter((d) => ALWAYS.has(d) || total[d] > 0);
  const sum = (c: Record<Decision, number>): number => DECISIONS.reduce((n, d) => n + c[d], 0);
  const header = ['ORIGIN REGION', 'TARGET REGION', ...shown.map((d) => d.toUpperCase()), 'TOTAL'];
  const line = (a: string, b: string, c: Record<Decision, number>): string[] => [a, b, ...shown.map((d) => formatCount(c[d])), formatCount(sum(c))];
  const body = rows.map((r) => line(r.origin, r.target, r.counts));
  const footer = line('total', '', total);
  const all = [header, ...body, footer];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const render = (r: readonly string[]): string =>
    r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  if (body.length === 0) return `${render(header)}\n${rule}\n(no decisions)\n`;
  return `${[render(header), rule, ...body.map(render), rule, render(footer)].join('\n')}\n`;
}
