// The state of one direction (request or response) of an HTTP exchange inside ext_proc.
import type { MaskingProfile } from '../masking/types.js';
import type { ErrorCode } from '../errors/catalog.js';
import { bodyKind, contentCoding } from './body-kind.js';
import { BodyPipeline } from './body-pipeline.js';
import type { HeaderChanges } from './answers.js';

export type Direction = 'request' | 'response';

export class DirectionState {
  bodyMessages = 0;
  ended = false;

  private constructor(
    readonly direction: Direction,
    readonly pipeline: BodyPipeline,
    readonly profile: MaskingProfile | null,
    readonly decodes: boolean,
  ) {}

  /**
   * Reads the headers and sets up the body pipeline, or names the error that blocks the body:
   * a body that must be masked but cannot be read never passes.
   */
  static open(
    direction: Direction,
    headers: Readonly<Record<string, string>>,
    profile: MaskingProfile | null,
    endOfStream: boolean,
  ): DirectionState | ErrorCode {
    const kind = bodyKind(headers['content-type']);
    const coding = contentCoding(headers['content-encoding']);
    const notInspectable: ErrorCode = direction === 'request' ? 'REQUEST_BODY_NOT_INSPECTABLE' : 'RESPONSE_BODY_NOT_INSPECTABLE';
    if (profile !== null && !endOfStream && (kind === 'binary' || coding === undefined)) return notInspectable;
    const effective = endOfStream ? null : profile;
    const state = new DirectionState(direction, new BodyPipeline(effective, kind, coding ?? null), effective, effective !== null && coding !== null && coding !== undefined);
    state.ended = endOfStream;
    return state;
  }

  /** Header changes that go with the headers answer. */
  headerChanges(): HeaderChanges {
    if (!this.pipeline.mutates) return {};
    // The body changes length; where we decode it, it also stops being compressed.
    return { remove: this.decodes ? ['content-length', 'content-encoding'] : ['content-length'] };
  }

  get invalidBodyCode(): ErrorCode {
    return this.direction === 'request' ? 'REQUEST_BODY_INVALID' : 'RESPONSE_BODY_INVALID';
  }
}
