// The proxy's own log lines: stderr only (stdout may carry MCP messages under --stdio).
// JSON lines for machines (`kubectl logs`, log pipelines), a compact line for people on a terminal.

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Fields of a log line. `trace_id` and `span_id` tie it to a span. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  readonly level?: Level;
  readonly format?: LogFormat;
  readonly service?: string;
  readonly write?: (line: string) => void;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((l: string) => process.stderr.write(l));
  const format = opts.format ?? (process.stderr.isTTY ? 'pretty' : 'json');
  const service = opts.service ?? 'mcp-trace-proxy';
  const emit = (level: Level, msg: string, fields?: LogFields) => {
    if (ORDER[level] < min) return;
    const time = new Date().toISOString();
    if (format === 'json') {
      write(JSON.stringify({ time, level, msg, service, ...fields }) + '\n');
      return;
    }
    let line = `${time} ${level.toUpperCase().padEnd(5)} ${msg}`;
    if (fields) for (const [k, v] of Object.entries(fields)) line += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
    write(line + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** Calls `fn` at most once per `intervalMs`, with the number of calls it absorbed. */
export function rateLimited(intervalMs: number, fn: (count: number, last: string) => void): (msg: string) => void {
  let lastAt = -Infinity;
  let count = 0;
  return (msg: string) => {
    count++;
    const now = Date.now();
    if (now - lastAt < intervalMs) return;
    lastAt = now;
    fn(count, msg);
    count = 0;
  };
}
