// Names what happened where a link of the chain breaks. The chain only says "this line does not
// follow that one"; the seq fields and one look ahead tell an edit from a deletion from a move,
// and point at the line that was actually touched rather than at the first one that noticed.
import { lineHash } from './chain.js';
import type { LineCursor, RawLine } from './line-reader.js';
import { chainFieldsSchema } from './record-schema.js';

export type ProblemReason = 'edited' | 'deleted' | 'reordered' | 'truncated' | 'bad-signature' | 'uncovered';

export interface Problem {
  readonly file: string;
  /** 1-based line number within `file`. */
  readonly line: number;
  readonly reason: ProblemReason;
  readonly message: string;
}

/** The last line that verified: where the next one must link to. */
export interface Link {
  readonly file: string;
  readonly line: number;
  readonly seq: number;
  readonly hash: string;
}

export interface ChainFields {
  readonly seq: number;
  readonly prev: string;
  readonly kind: string;
}

/** How far verify looks ahead for a missing seq before calling it deleted rather than moved. */
const LOOKAHEAD_LINES = 10_000;

export function parseChainFields(bytes: Buffer): { fields: ChainFields; record: Record<string, unknown> } | string {
  let record: unknown;
  try {
    record = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'not valid JSON';
  }
  const parsed = chainFieldsSchema.safeParse(record);
  if (!parsed.success) return `no valid ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`;
  return { fields: parsed.data, record: record as Record<string, unknown> };
}

/** Why `line` (with `fields`) does not follow `prev`; `atFileStart` when it opens a new file of the set. */
export async function diagnoseBreak(
  prev: Link,
  here: { readonly file: string; readonly line: RawLine; readonly fields: ChainFields },
  cursor: LineCursor,
  atFileStart: boolean,
): Promise<Problem> {
  const { fields } = here;
  const expected = prev.seq + 1;
  const at = (reason: Problem['reason'], message: string): Problem => ({ file: here.file, line: here.line.number, reason, message });

  if (fields.prev === prev.hash) {
    return at('edited', `seq is ${fields.seq}, but the line it links to has seq ${prev.seq}: the seq field was changed`);
  }
  if (fields.seq === expected) {
    // The link is broken but the numbering is not: one of the two lines was changed. If the next
    // line still links to this one, this one is intact and the line before it is the edited one.
    const next = await cursor.peek(0);
    const nextFields = next === undefined ? undefined : parseChainFields(next.bytes);
    const hash = lineHash(here.line.bytes);
    if (nextFields !== undefined && typeof nextFields !== 'string' && nextFields.fields.prev === hash) {
      return { file: prev.file, line: prev.line, reason: 'edited', message: `the line no longer hashes to the prev that the next line (seq ${expected}) recorded: it was changed after it was written` };
    }
    if (next !== undefined) return at('edited', 'its prev does not match the line before it, and the next line does not link to it: this line was changed');
    return { file: prev.file, line: prev.line, reason: 'edited', message: `the line (or the prev of the last line, seq ${expected}) was changed: the last link of the chain does not hold` };
  }
  if (fields.seq < expected) {
    return at('reordered', `seq ${fields.seq} comes after seq ${prev.seq}: the line was moved or copied here`);
  }
  if (atFileStart) {
    return at('truncated', `the previous file (${prev.file}) ends at seq ${prev.seq} but this file starts at seq ${fields.seq}: ${describeRange(expected, fields.seq - 1)} missing (a file was cut short, or one is missing from the set)`);
  }
  const laterAt = await findSeq(cursor, expected);
  if (laterAt !== undefined) {
    return at('reordered', `seq ${fields.seq} where seq ${expected} was expected; seq ${expected} comes ${laterAt} line(s) later: lines were moved`);
  }
  return at('deleted', `seq ${fields.seq} follows seq ${prev.seq}: ${describeRange(expected, fields.seq - 1)} deleted before this line`);
}

async function findSeq(cursor: LineCursor, seq: number): Promise<number | undefined> {
  for (let i = 0; i < LOOKAHEAD_LINES; i++) {
    const line = await cursor.peek(i);
    if (line === undefined) return undefined;
    const parsed = parseChainFields(line.bytes);
    if (typeof parsed !== 'string' && parsed.fields.seq === seq) return i + 1;
  }
  return undefined;
}

function describeRange(from: number, to: number): string {
  return from === to ? `record seq ${from} is` : `records seq ${from}–${to} (${to - from + 1}) are`;
}
