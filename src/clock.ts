/** The source of "now": the system clock in production, a fake one in tests. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until moved: for tests and for replaying a schedule. */
export class FakeClock implements Clock {
  private current: number;
  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  /** Moves the clock forward by ms milliseconds. */
  advance(ms: number): void {
    this.current += ms;
  }
  /** Sets the clock to an instant. */
  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }
}
