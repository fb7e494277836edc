// `residency-gate audit report FILES… [--from T] [--to T]`: decisions counted by origin region ×
// target region × decision, as a table for a terminal.
import { parseArgs } from 'node:util';
import { readRecords, type ReadStats } from '../../audit/query.js';
import { formatCount, parseTime, trailFiles, write, type CliIo } from './io.js';

interface Row {
  readonly origin: string;
  readonly target: string;
  allow: number;
  deny: number;
}

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
    const row = rows.get(key) ?? { origin, target, allow: 0, deny: 0 };
    row[record.decision] += 1;
    rows.set(key, row);
  }
  const sorted = [...rows.values()].sort((a, b) => a.origin.localeCompare(b.origin) || a.target.localeCompare(b.target));
  const total = sorted.reduce((t, r) => ({ allow: t.allow + r.allow, deny: t.deny + r.deny }), { allow: 0, deny: 0 });
  const range = `${values.from ?? 'the beginning'} to ${values.to ?? 'the end'}`;
  await write(io.stdout, `Decisions from ${range}\n\n${table(sorted, total)}`);
  if (stats.unreadable > 0) io.stderr.write(`skipped ${stats.unreadable} unreadable line(s)\n`);
  return 0;
}

export function table(rows: readonly Row[], total: { allow: number; deny: number }): string {
  const header = ['ORIGIN REGION', 'TARGET REGION', 'ALLOW', 'DENY', 'TOTAL'];
  const body = rows.map((r) => [r.origin, r.target, formatCount(r.allow), formatCount(r.deny), formatCount(r.allow + r.deny)]);
  const footer = ['total', '', formatCount(total.allow), formatCount(total.deny), formatCount(total.allow + total.deny)];
  const all = [header, ...body, footer];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const render = (r: readonly string[]): string =>
    r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  if (body.length === 0) return `${render(header)}\n${rule}\n(no decisions)\n`;
  return `${[render(header), rule, ...body.map(render), rule, render(footer)].join('\n')}\n`;
}
