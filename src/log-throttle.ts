/**
 * Keeps a flood of one kind of log line (a hostile client opening thousands of broken
 * connections) from filling the disk: each event is written at most `burst` times per window,
 * then counted; the count is written with the first line of that event after the window.
 */
import type { LogFields, Logger } from './log.js';

export interface ThrottledLogger {
  warn(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
}

export function throttledLogger(logger: Logger, opts: { burst?: number; windowMs?: number; now?: () => number } = {}): ThrottledLogger {
  const burst = opts.burst ?? 20;
  const windowMs = opts.windowMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const windows = new Map<string, { start: number; written: number; suppressed: number }>();
  const emit = (level: 'warn' | 'info', event: string, fields?: LogFields): void => {
    const t = now();
    let w = windows.get(event);
    if (w && t - w.start >= windowMs) {
      if (w.suppressed > 0) logger.warn('log.suppressed', { event, lines: w.suppressed, seconds: Math.round((t - w.start) / 1000) });
      w = undefined;
    }
    if (!w) {
      w = { start: t, written: 0, suppressed: 0 };
      windows.set(event, w);
      if (windows.size > 1000) windows.clear();
    }
    if (w.written < burst) {
      w.written++;
      logger[level](event, fields);
    } else {
      w.suppressed++;
    }
  };
  return {
    warn: (e, f) => {
      emit('warn', e, f);
    },
    info: (e, f) => {
      emit('info', e, f);
    },
  };
}
