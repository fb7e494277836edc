// Whether this process should be sent traffic, and if not, why. Every reason is a flag that its
// owner raises and lowers; the server is ready when none is raised. gRPC health, /readyz and the
// `ready` gauge all follow this one state.
export const NOT_READY_REASONS = ['starting', 'draining', 'audit_unwritable', 'no_valid_config'] as const;
export type NotReadyReason = (typeof NOT_READY_REASONS)[number];

export interface ReadinessState {
  readonly ready: boolean;
  /** In the order of NOT_READY_REASONS. */
  readonly reasons: readonly NotReadyReason[];
}

export type ReadinessListener = (state: ReadinessState) => void;

export class Readiness {
  private readonly raised = new Set<NotReadyReason>(['starting']);
  private readonly listeners = new Set<ReadinessListener>();

  get state(): ReadinessState {
    const reasons = NOT_READY_REASONS.filter((r) => this.raised.has(r));
    return { ready: reasons.length === 0, reasons };
  }

  /** Raises (`true`) or lowers (`false`) one reason; listeners hear only real changes. */
  set(reason: NotReadyReason, raised: boolean): void {
    if (this.raised.has(reason) === raised) return;
    if (raised) this.raised.add(reason);
    else this.raised.delete(reason);
    const state = this.state;
    for (const listener of this.listeners) listener(state);
  }

  onChange(listener: ReadinessListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
