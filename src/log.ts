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

export function createLogger(opts: { level?: LogLevel; format?: LogFormat; write?: (line: string) => void } = {}): Logger {
  const min = rank[opts.level ?? 'info'];
  const format = opts.format ?? 'text';
  const write = opts.write ?? writeToStderr;
  const emit = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    if (rank[level] < min) return;
    const time = new Date().toISOString();
    if (format === 'json') {
      // JSON.stringify escapes C0 controls only; DEL, C1 and the line/paragraph separators too.
      write(JSON.stringify({ time, level, event, ...fields }).replace(UNESCAPED_BY_JSON, unicodeEscape));
      return;
    }
    const parts = Object.entries(fields)
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => `${k}=${formatValue(v)}`);
    write(`${time} ${level.toUpperCase().padEnd(5)} ${event}${parts.length ? ' ' + parts.join(' ') : ''}`);
  };
  return {
    debug: (e, f) => {
      emit('debug', e, f);
    },
    info: (e, f) => {
      emit('info', e, f);
    },
    warn: (e, f) => {
      emit('warn', e, f);
    },
    error: (e, f) => {
      emit('error', e, f);
    },
  };
}

let stderrBroken = false;
let stderrWatched = false;

/**
 * A line to stderr, until stderr breaks. When whatever reads it has gone (EPIPE: the terminal
 * closed, `| tee` killed, a supervisor's pipe gone), each write fails asynchronously; unhandled,
 * that failure is an uncaught exception whose own log line fails again: a loop that burned a core
 * and kept SIGTERM's stop from ever finishing. From then on log lines are dropped; the store, the
 * message log and the audit trail still record what happens.
 */
function writeToStderr(line: string): void {
  if (!stderrWatched) {
    stderrWatched = true;
    process.stderr.on('error', () => {
      stderrBroken = true;
    });
  }
  if (!stderrBroken) process.stderr.write(line + '\n');
}

/**
 * Characters a text log line must never carry raw: C0 and C1 controls, DEL, and the Unicode line,
 * paragraph and bidirectional-override characters (a terminal or log viewer acts on them: ESC
 * starts terminal sequences, CR/LF forge lines, U+202E reverses text).
 */
const CONTROL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const UNESCAPED_BY_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function unicodeEscape(ch: string): string {
  return '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0');
}

/** A field value for a text line: quoted (JSON string syntax) when it holds spaces, quotes, = or any control character. */
export function formatValue(v: string | number | boolean | undefined | null): string {
  const s = String(v);
  if (!/[\s"=]/.test(s) && !CONTROL.test(s)) return s;
  return JSON.stringify(s).replace(UNESCAPED_BY_JSON, unicodeEscape);
}

/** A logger that drops everything, for unit tests and dry runs. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
