import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';
export type LogFormat = 'text' | 'json';
export const LOG_LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVEL_NAMES)[number];

export interface LoggerOptions {
  /** json: one pino JSON object per line; text: one human line per event. Default text. */
  format?: LogFormat;
  level?: LogLevel;
  /** Where lines go. Default process.stderr (stdout stays for -o json results). */
  destination?: NodeJS.WritableStream;
  /** Bound to every line, e.g. { component: 'control-plane' }. */
  base?: Record<string, unknown>;
}

/**
 * The one logger factory the control plane and the proxy share. JSON lines are pino's own; the
 * text form is rendered here from the same object (no pino-pretty: it pulls a dozen packages for
 * what is one line of formatting), so both forms always carry the same fields.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const dest = opts.destination ?? process.stderr;
  const stream = opts.format === 'json' ? dest : textStream(dest);
  return pino(
    {
      level: opts.level ?? 'info',
      base: opts.base ?? null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/** A logger that drops everything: the default where a caller passed none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

const SKIP = new Set(['level', 'time', 'msg', 'event', 'component']);

/** Renders one pino JSON line as "TIME LEVEL [component] event: msg key=value ...". */
export function textLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof o.time === 'string' ? o.time.slice(11, 23) : '';
  const level = String(o.level ?? '')
    .toUpperCase()
    .padEnd(5);
  const where = o.component ? `[${o.component}] ` : '';
  const fields = Object.entries(o)
    .filter(([k, v]) => !SKIP.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`);
  return `${time} ${level} ${where}${o.msg ?? o.event ?? ''}${fields.length ? `  ${fields.join(' ')}` : ''}`;
}

function textStream(dest: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) dest.write(textLine(line) + '\n');
      cb();
    },
  });
}
