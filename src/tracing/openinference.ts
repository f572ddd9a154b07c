// OpenInference attributes (Phoenix, Langfuse) for an MCP operation: pure functions from what the
// span already knows to Attributes. They go beside the MCP semantic conventions, never instead.
import type { Attributes } from '@opentelemetry/api';
import * as semconv from './semconv';

/** TOOL for tools/call, LLM for sampling/createMessage, RETRIEVER for resources/read, CHAIN otherwise. */
export function openInferenceSpanKind(method: string): string {
  switch (method) {
    case 'tools/call': return semconv.OI_SPAN_KIND_TOOL;
    case 'sampling/createMessage': return semconv.OI_SPAN_KIND_LLM;
    case 'resources/read': return semconv.OI_SPAN_KIND_RETRIEVER;
    default: return semconv.OI_SPAN_KIND_CHAIN;
  }
}

/** At span start: the span kind, `tool.name` on tool calls, and `session.id` when the session is known. */
export function openInferenceStart(method: string, toolName?: string, sessionId?: string): Attributes {
  const a: Attributes = { [semconv.ATTR_OPENINFERENCE_SPAN_KIND]: openInferenceSpanKind(method) };
  if (method === 'tools/call' && toolName !== undefined) a[semconv.ATTR_OI_TOOL_NAME] = toolName;
  if (sessionId) a[semconv.ATTR_OI_SESSION_ID] = sessionId;
  return a;
}

/** When the session id is learnt later (initialize): `session.id`, equal to `mcp.session.id`. */
export function openInferenceSession(sessionId: string): Attributes {
  return { [semconv.ATTR_OI_SESSION_ID]: sessionId };
}

/** Captured (already redacted and truncated) tool arguments, as `input.value`. */
export function openInferenceInput(capturedJson: string): Attributes {
  return { [semconv.ATTR_OI_INPUT_VALUE]: capturedJson, [semconv.ATTR_OI_INPUT_MIME_TYPE]: semconv.OI_MIME_JSON };
}

/** Captured (already redacted and truncated) tool result, as `output.value`. */
export function openInferenceOutput(capturedJson: string): Attributes {
  return { [semconv.ATTR_OI_OUTPUT_VALUE]: capturedJson, [semconv.ATTR_OI_OUTPUT_MIME_TYPE]: semconv.OI_MIME_JSON };
}
