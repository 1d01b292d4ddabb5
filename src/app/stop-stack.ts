/** What was started, to be stopped in reverse order: a stop, or a failure half way through starting, ends exactly what was started. */
export class StopStack {
  private readonly stops: Array<() => void | Promise<void>> = [];

  push(stop: () => void | Promise<void>): void {
    this.stops.push(stop);
  }

  async stopAll(): Promise<void> {
    for (let stop = this.stops.pop(); stop; stop = this.stops.pop()) await stop();
  }
}
