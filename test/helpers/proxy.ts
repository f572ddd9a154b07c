// Starts the proxy in-process with an in-memory span exporter, for end-to-end tests.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { createProxy } from '../../src/index';
import type { Config } from '../../src/cli/config';
import type { Logger } from '../../src/log';
import type { RunningProxy } from '../../src/server';

export interface TracedProxy {
  proxy: RunningProxy;
  /** The proxy URL with the upstream's path, e.g. http://127.0.0.1:PORT/mcp */
  url: string;
  logs: string[];
  spans(): ReadableSpan[];
  /** Resolves with the first finished span matching, waiting up to `timeoutMs`. */
  span(pred: string | ((s: ReadableSpan) => boolean), timeoutMs?: number): Promise<ReadableSpan>;
  close(): Promise<void>;
}

export function captureLogger(lines: string[]): Logger {
  const w = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${msg} ${fields ? JSON.stringify(fields) : ''}`);
  };
  return { debug: w('debug'), info: w('info'), warn: w('warn'), error: w('error') };
}

export async function startProxy(upstream: string, overrides: Partial<Omit<Config, 'upstream'>> = {}): Promise<TracedProxy> {
  const exporter = new InMemorySpanExporter();
  const logs: string[] = [];
  const proxy = await createProxy(
    { upstream, port: 0, adminPort: 0, ...overrides },
    { spanProcessors: [new SimpleSpanProcessor(exporter)], logger: captureLogger(logs) },
  );
  const spans = () => exporter.getFinishedSpans();
  const span = async (pred: string | ((s: ReadableSpan) => boolean), timeoutMs = 3000) => {
    const match = typeof pred === 'string' ? (s: ReadableSpan) => s.name === pred : pred;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = spans().find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`no matching span; finished: ${spans().map((s) => s.name).join(', ') || '(none)'}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { proxy, url: proxy.url + new URL(upstream).pathname, logs, spans, span, close: () => proxy.close() };
}
