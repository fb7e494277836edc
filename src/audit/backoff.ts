// Retries an operation in the background with exponential backoff until it reports success, one
// attempt at a time. Timers are unref'd: a retry alone must not keep a process alive.

export class Backoff {
  private delay: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly firstMs: number,
    private readonly maxMs: number,
  ) {
    this.delay = firstMs;
  }

  /** Schedules `attempt` unless one is already scheduled; it reschedules itself while it returns false. */
  schedule(attempt: () => Promise<boolean>): void {
    if (this.timer !== undefined) return;
    const delay = this.delay;
    this.delay = Math.min(delay * 2, this.maxMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void attempt().then(
        (done) => done || this.schedule(attempt),
        () => this.schedule(attempt),
      );
    }, delay);
    this.timer.unref();
  }

  reset(): void {
    this.cancel();
    this.delay = this.firstMs;
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
