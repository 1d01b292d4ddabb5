/**
 * The DIMSE timeout of an association: fires once nothing was received or sent for `timeoutMs`.
 * One timer re-armed for the time left, not one per PDU: an answer of thousands of responses
 * touches it thousands of times.
 */
export class IdleTimer {
  private lastActivity = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly onIdle: () => void,
  ) {}

  /** Records activity without arming the timer (before the association is accepted). */
  noteActivity(): void {
    this.lastActivity = Date.now();
  }

  /** Records activity and arms the timer if it is not running. */
  touch(): void {
    this.lastActivity = Date.now();
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.check();
    }, this.timeoutMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const idle = Date.now() - this.lastActivity;
    if (idle < this.timeoutMs) {
      this.timer = setTimeout(() => {
        this.check();
      }, this.timeoutMs - idle);
      return;
    }
    this.onIdle();
  }
}
