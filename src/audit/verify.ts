// Verifies a trail across any set of its files: the hash chain and the sequence from line to line
// and from file to file, and every checkpoint's signature. It stops at the first problem and
// names its file, line and kind. What it cannot tell from tampering (a torn last line after a
// crash) or cannot vouch for (records no checkpoint covers yet) comes back as warnings.
import { lineHash } from './chain.js';
import type { CheckpointVerifier } from './checkpoint.js';
import { LineCursor, LineTooLongError, readRawLines, type RawLine } from './line-reader.js';
import { GENESIS_HASH } from './record.js';
import { checkpointRecordSchema, RECORD_SCHEMAS } from './record-schema.js';
import { groupChains, orderTrailFiles, type TrailFile } from './trail-order.js';
import { diagnoseBreak, parseChainFields, type Link, type Problem } from './verify-diagnose.js';

export type { Problem, ProblemReason } from './verify-diagnose.js';

export type WarningKind = 'torn' | 'empty-file' | 'starts-mid-trail' | 'no-checkpoints' | 'unverified-checkpoints' | 'uncovered' | 'schema' | 'trail-name';

export interface VerifyWarning {
  readonly kind: WarningKind;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
}

export interface FileSummary {
  readonly file: string;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly lines: number;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly problem: Problem | null;
  readonly warnings: readonly VerifyWarning[];
  /** In chain order. */
  readonly files: readonly FileSummary[];
  /** Whole lines that verified, checkpoints included. */
  readonly records: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly checkpoints: number;
  /** Checkpoints whose signature verified (0 without a key). */
  readonly signedCheckpoints: number;
  /** Records after the last checkpoint that passed every check made: protected by the chain only. */
  readonly uncovered: number;
  /** The trail name the checkpoints signed. */
  readonly trail: string | null;
  /**
   * Present when the files hold several chains (one per worker): each chain's own report. The
   * fields above then add up the chains (seq ranges and trail name are per chain only).
   */
  readonly chains?: readonly VerifyReport[];
}

export interface VerifyOptions {
  /** Without one, checkpoints are checked for form and place only, and the report says so. */
  readonly verifier?: CheckpointVerifier;
  /** With a verifier: fail when more records than this follow one another without a checkpoint. */
  readonly maxUncovered?: number;
  readonly onProgress?: (file: string, line: number, total: number) => void;
  readonly progressEvery?: number;
}

const MAX_SCHEMA_WARNINGS = 5;

export async function verifyTrail(files: readonly string[], options: VerifyOptions = {}): Promise<VerifyReport> {
  const groups = await groupChains(files);
  if (groups === undefined) return new Verification(options).run(files);
  // Several chains: each verified on its own, exactly as a single trail would be.
  const reports: VerifyReport[] = [];
  for (const chain of groups.chains) reports.push(await new Verification(options).run(chain));
  for (const file of groups.loose) reports.push(await new Verification(options).run([file]));
  const orphan = groups.orphans[0];
  const orphanProblem: Problem | null =
    orphan === undefined ? null : { file: orphan, line: 1, reason: 'truncated', message: 'this file continues none of the chains given: the file before it is missing, or its last line was changed' };
  const sum = (f: (r: VerifyReport) => number): number => reports.reduce((n, r) => n + f(r), 0);
  const problem = reports.find((r) => r.problem !== null)?.problem ?? orphanProblem;
  return {
    ok: problem === null,
    problem,
    warnings: reports.flatMap((r) => r.warnings),
    files: reports.flatMap((r) => r.files),
    records: sum((r) => r.records),
    firstSeq: null,
    lastSeq: null,
    checkpoints: sum((r) => r.checkpoints),
    signedCheckpoints: sum((r) => r.signedCheckpoints),
    uncovered: sum((r) => r.uncovered),
    trail: null,
    chains: reports.slice(0, groups.chains.length),
  };
}

class Verification {
  private prev: Link | undefined;
  private problem: Problem | null = null;
  private readonly warnings: VerifyWarning[] = [];
  private readonly summaries: FileSummary[] = [];
  private records = 0;
  private firstSeq: number | null = null;
  private checkpoints = 0;
  private signed = 0;
  private uncovered = 0;
  private lastKind: string | undefined;
  private trail: string | null = null;
  private schemaProblems = 0;

  constructor(private readonly options: VerifyOptions) {}

  async run(paths: readonly string[]): Promise<VerifyReport> {
    const { ordered, empty, unplaceable } = await orderTrailFiles(paths);
    for (const f of empty) this.warn('empty-file', 'empty file; nothing to verify', f.path);
    const bad = unplaceable[0];
    if (bad !== undefined) {
      this.problem = { file: bad.path, line: 1, reason: 'edited', message: 'the first line is not an audit record, so the file cannot be placed in the trail' };
    }
    for (const [i, file] of ordered.entries()) {
      if (this.problem !== null) break;
      await this.verifyFile(file, i === ordered.length - 1);
    }
    if (this.problem === null) this.concludeCoverage();
    return this.report();
  }

  private async verifyFile(file: TrailFile, isLast: boolean): Promise<void> {
    const cursor = new LineCursor(readRawLines(file.path));
    const summary = { file: file.path, firstSeq: null as number | null, lastSeq: null as number | null, lines: 0 };
    this.summaries.push(summary);
    try {
      for (let line = await cursor.next(); line !== undefined; line = await cursor.next()) {
        summary.lines = line.number;
        if (!line.terminated) {
          if (isLast) {
            this.warn('torn', `torn last line (${line.bytes.length} bytes without a newline): a write cut short by a crash, not tampering; the writer cuts it off when it reopens the file`, file.path, line.number);
          } else {
            this.fail(file.path, line.number, 'truncated', 'the file ends inside a line although a later file follows it: it was cut short');
          }
          return;
        }
        const seq = await this.verifyLine(file.path, line, cursor, summary.firstSeq === null);
        if (seq === undefined) return;
        summary.firstSeq ??= seq;
        summary.lastSeq = seq;
        const every = this.options.progressEvery ?? 100_000;
        if (this.records % every === 0) this.options.onProgress?.(file.path, line.number, this.records);
      }
    } catch (err) {
      if (!(err instanceof LineTooLongError)) throw err;
      this.fail(file.path, err.lineNumber, 'edited', err.message);
    } finally {
      await cursor.close();
    }
  }

  /** Checks one whole line; returns its seq, or undefined once a problem is recorded. */
  private async verifyLine(file: string, line: RawLine, cursor: LineCursor, atFileStart: boolean): Promise<number | undefined> {
    const parsed = parseChainFields(line.bytes);
    if (typeof parsed === 'string') return this.fail(file, line.number, 'edited', `not an audit record (${parsed})`);
    const { fields, record } = parsed;
    if (this.prev === undefined) {
      if ((fields.seq === 1) !== (fields.prev === GENESIS_HASH)) {
        return this.fail(file, line.number, 'edited', `seq ${fields.seq} with prev ${fields.prev === GENESIS_HASH ? 'the genesis hash' : 'not the genesis hash'}: only seq 1 starts a trail`);
      }
      if (fields.seq !== 1) this.warn('starts-mid-trail', `the set starts at seq ${fields.seq}: the files before it were not given (or were deleted by retention), so its first link cannot be checked`, file, line.number);
      this.firstSeq = fields.seq;
    } else if (fields.prev !== this.prev.hash || fields.seq !== this.prev.seq + 1) {
      this.problem = await diagnoseBreak(this.prev, { file, line, fields }, cursor, atFileStart);
      return undefined;
    }
    if (fields.kind === 'checkpoint') {
      if (!(await this.verifyCheckpoint(file, line.number, record))) return undefined;
    } else {
      this.uncovered += 1;
      this.checkSchema(file, line.number, fields.kind, record);
      const max = this.options.maxUncovered;
      if (this.options.verifier !== undefined && max !== undefined && this.uncovered > max) {
        return this.fail(file, line.number, 'uncovered', `${this.uncovered} records in a row without a signed checkpoint (limit ${max}): checkpoints were removed, or the writer ran without its signing key`);
      }
    }
    this.records += 1;
    this.lastKind = fields.kind;
    this.prev = { file, line: line.number, seq: fields.seq, hash: lineHash(line.bytes) };
    return fields.seq;
  }

  private async verifyCheckpoint(file: string, line: number, record: Record<string, unknown>): Promise<boolean> {
    const parsed = checkpointRecordSchema.safeParse(record);
    if (!parsed.success) return this.rejectCheckpoint(file, line, 'edited', `malformed checkpoint (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
    const cp = parsed.data;
    if (cp.head !== cp.prev || cp.count !== cp.seq - 1) return this.rejectCheckpoint(file, line, 'edited', 'the checkpoint\'s head or count disagrees with its own place in the chain');
    this.checkpoints += 1;
    const { verifier } = this.options;
    if (verifier !== undefined) {
      let claims;
      try {
        claims = await verifier.verify(cp.jws);
      } catch (err) {
        return this.rejectCheckpoint(file, line, 'bad-signature', `the checkpoint's signature does not verify with the given key (${(err as Error).message})`);
      }
      if (claims.head !== cp.head || claims.seq !== cp.count || claims.ts !== cp.ts) {
        return this.rejectCheckpoint(file, line, 'bad-signature', `the signed payload (seq ${claims.seq}, head ${claims.head.slice(0, 12)}…) does not match this checkpoint: the chain before it was rewritten`);
      }
      if (this.trail === null) this.trail = claims.file;
      else if (claims.file !== this.trail) this.warn('trail-name', `this checkpoint was signed for trail "${claims.file}", earlier ones for "${this.trail}"`, file, line);
      this.signed += 1;
    }
    this.uncovered = 0;
    return true;
  }

  private checkSchema(file: string, line: number, kind: string, record: Record<string, unknown>): void {
    const schema = (RECORD_SCHEMAS as Record<string, (typeof RECORD_SCHEMAS)[keyof typeof RECORD_SCHEMAS] | undefined>)[kind];
    const result = schema?.safeParse(record);
    if (result?.success === true) return;
    // The chain vouches for these bytes; a shape this version does not know is news, not tampering.
    this.schemaProblems += 1;
    if (this.schemaProblems > MAX_SCHEMA_WARNINGS) return;
    const why = result === undefined ? `unknown kind "${kind}"` : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    this.warn('schema', `record does not match the ${kind} schema of this version (${why})`, file, line);
  }

  private concludeCoverage(): void {
    if (this.records === 0) return;
    const signedTrail = this.options.verifier !== undefined;
    if (this.checkpoints === 0) {
      if (signedTrail) {
        const first = this.summaries.find((s) => s.lines > 0);
        this.fail(first?.file ?? '', 1, 'uncovered', 'no checkpoint in the trail: nothing in it is signed, so a rewrite of the whole trail could not be told apart');
      } else {
        this.warn('no-checkpoints', 'no checkpoints: the trail is protected by its hash chain only (is audit.signing_key_file set?); anyone who can write the files could rewrite them consistently');
      }
      return;
    }
    if (!signedTrail) this.warn('unverified-checkpoints', `${this.checkpoints} checkpoint(s) not verified: no --key given`);
    if (this.uncovered > 0) {
      const end = this.lastKind === 'checkpoint' ? '' : '; the trail does not end with a checkpoint: the writer is running, crashed, or the end was cut off';
      this.warn('uncovered', `${this.uncovered} record(s) after the last checkpoint are protected by the chain only${end}`);
    }
  }

  private rejectCheckpoint(file: string, line: number, reason: Problem['reason'], message: string): false {
    this.fail(file, line, reason, message);
    return false;
  }

  private fail(file: string, line: number, reason: Problem['reason'], message: string): undefined {
    this.problem = { file, line, reason, message };
    return undefined;
  }

  private warn(kind: WarningKind, message: string, file?: string, line?: number): void {
    this.warnings.push({ kind, message, ...(file !== undefined ? { file } : {}), ...(line !== undefined ? { line } : {}) });
  }

  private report(): VerifyReport {
    const last = this.prev;
    return {
      ok: this.problem === null,
      problem: this.problem,
      warnings: this.warnings,
      files: this.summaries,
      records: this.records,
      firstSeq: this.firstSeq,
      lastSeq: last?.seq ?? null,
      checkpoints: this.checkpoints,
      signedCheckpoints: this.signed,
      uncovered: this.uncovered,
      trail: this.trail,
    };
  }
}
