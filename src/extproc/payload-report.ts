// What ext_proc reports when an exchange ends: hashes, sizes and masked counts per direction.
import type { ErrorCode } from '../errors/catalog.js';
import type { MaskCounts } from '../masking/types.js';
import type { BodySummary } from './body-pipeline.js';
import type { DecisionContext } from './decision-context.js';
import type { UpstreamHost } from './upstream.js';

export type PayloadOutcome = 'complete' | 'blocked' | 'aborted' | 'violation';

export interface DirectionReport {
  readonly summary: BodySummary;
  readonly masked: MaskCounts;
  readonly profile: string | null;
}

export interface PayloadReport {
  readonly context: DecisionContext | undefined;
  readonly outcome: PayloadOutcome;
  readonly code: ErrorCode | null;
  readonly request: DirectionReport | null;
  readonly response: DirectionReport | null;
  /** The host that answered, where Envoy said (response attributes). */
  readonly upstream: UpstreamHost | null;
}
