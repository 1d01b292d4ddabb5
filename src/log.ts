/**
 * One-line structured logging to stderr. Text format for people at a console, JSON lines for
 * log shippers. A logger is passed in, never imported as global state by protocol modules.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';
export type LogFields = Record<string, string | number | boolean | undefined | null>;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export function createLogger(
  opts: { level?: LogLevel; format?: LogFormat; write?: (line: string) => void } = {},
): Logger {
  const min = rank[opts.level ?? 'info'];
  const format = opts.format ?? 'text';
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    if (rank[level] < min) return;
    const time = new Date().toISOString();
    if (format === 'json') {
      write(JSON.stringify({ time, level, event, ...fields }));
      return;
    }
    const parts = Object.entries(fields)
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => `${k}=${formatValue(v)}`);
    write(`${time} ${level.toUpperCase().padEnd(5)} ${event}${parts.length ? ' ' + parts.join(' ') : ''}`);
  };
  return {
    debug: (e, f) => emit('debug', e, f),
    info: (e, f) => emit('info', e, f),
    warn: (e, f) => emit('warn', e, f),
    error: (e, f) => emit('error', e, f),
  };
}

function formatValue(v: string | number | boolean | undefined | null): string {
  const s = String(v);
  return /[\s"=]/.test(s) ? JSON.stringify(s) : s;
}

/** A logger that drops everything, for unit tests and dry runs. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
