// Recent finished spans, in memory, for the live view on the admin port (placeholder: being built).
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-node';

export class RecentSpans implements SpanProcessor {
  constructor(readonly maxSpans: number) {}
  onStart(_span: Span, _ctx: Context): void {}
  onEnd(_span: ReadableSpan): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
