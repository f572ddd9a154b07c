// Every attribute key, span event name and attribute value the proxy emits, defined once.
// Source: OTel semantic conventions for MCP (open-telemetry/semantic-conventions-genai,
// docs/gen-ai/mcp.md, status Development) and the general network/server/client/error keys.
// The MCP keys are not stable yet: they are copied here rather than imported so a rename
// upstream is a one-line change.

export const ATTR_MCP_METHOD_NAME = 'mcp.method.name' as const;
export const ATTR_MCP_SESSION_ID = 'mcp.session.id' as const;
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version' as const;
export const ATTR_MCP_RESOURCE_URI = 'mcp.resource.uri' as const;
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name' as const;
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name' as const;
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name' as const;
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments' as const;
export const ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result' as const;
export const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id' as const;
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code' as const;
export const ATTR_ERROR_TYPE = 'error.type' as const;
export const ATTR_NETWORK_TRANSPORT = 'network.transport' as const;
export const ATTR_NETWORK_PROTOCOL_NAME = 'network.protocol.name' as const;
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version' as const;
export const ATTR_SERVER_ADDRESS = 'server.address' as const;
export const ATTR_SERVER_PORT = 'server.port' as const;
export const ATTR_CLIENT_ADDRESS = 'client.address' as const;
export const ATTR_CLIENT_PORT = 'client.port' as const;

// Proxy-defined (no convention yet): the MRTR result type of spec 2026-07-28
// (`input_required` is an interim answer, not an error), and why a span has no response.
export const ATTR_MCP_RESULT_TYPE = 'mcp.result.type' as const;
export const ATTR_MCP_PROXY_OUTCOME = 'mcp_trace_proxy.outcome' as const;
/** How many notifications related to the operation (progress, log messages, a stream's). */
export const ATTR_MCP_PROXY_NOTIFICATIONS = 'mcp_trace_proxy.notifications' as const;
// Proxy-defined (no convention yet): the rounds of one multi round-trip request (spec 2026-07-28).
// Each round is its own span; a retry links to the round that asked for input.
/** 1 for the request answered `input_required`, 2 for its retry, and so on. */
export const ATTR_MCP_REQUEST_ROUND = 'mcp.request.round' as const;
/** A truncated sha256 of the first `requestState` of the call, the same on all its rounds (never the state itself). */
export const ATTR_MCP_REQUEST_STATE_HASH = 'mcp.request.state_hash' as const;
/** The `_meta` key tagging a notification of a subscriptions/listen stream: the listen request's id (spec 2026-07-28). */
export const META_SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId' as const;

// What a call costs the model's context (no convention names sizes of tool arguments or results;
// gen_ai.usage.* counts a model's own tokens, not a tool's): the raw JSON byte length of the
// request's `params.arguments` and of the response's `result`, as sent. The token figure is an
// estimate (--estimate-tokens), recorded with the tokenizer library and encoding that made it.
export const ATTR_MCP_PROXY_ARGUMENTS_SIZE = 'mcp_trace_proxy.request.arguments.size' as const;
export const ATTR_MCP_PROXY_RESULT_SIZE = 'mcp_trace_proxy.response.result.size' as const;
export const ATTR_MCP_PROXY_RESULT_TOKENS = 'mcp_trace_proxy.response.result.tokens' as const;
export const ATTR_MCP_PROXY_TOKENIZER_NAME = 'mcp_trace_proxy.tokenizer.name' as const;
export const ATTR_MCP_PROXY_TOKENIZER_ENCODING = 'mcp_trace_proxy.tokenizer.encoding' as const;

// The client application, from initialize's params.clientInfo (or the 2026-07-28 `_meta` key).
// No convention names these yet; ToolHive, another MCP proxy, records the same keys.
export const ATTR_MCP_CLIENT_NAME = 'mcp.client.name' as const;
export const ATTR_MCP_CLIENT_VERSION = 'mcp.client.version' as const;
/** Where 2026-07-28 requests carry the client's name and version (spec changelog). */
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo' as const;
// The caller keys the live view shows and filters on, when --attribute-header/--attribute-jwt-claim
// produce them: the names the README suggests (enduser.id is the general conventions' key).
export const ATTR_TENANT_ID = 'tenant.id' as const;
export const ATTR_ENDUSER_ID = 'enduser.id' as const;
/** On a span the head sampler dropped and the proxy exported anyway: why (`error`, `incomplete` or `slow`). */
export const ATTR_MCP_PROXY_SAMPLING_KEPT = 'mcp_trace_proxy.sampling.kept' as const;
export const KEPT_ERROR = 'error' as const;
export const KEPT_SLOW = 'slow' as const;
/** Kept because it ended without an answer: expired, upstream or client gone, dropped by the bounds, shut down. */
export const KEPT_INCOMPLETE = 'incomplete' as const;

export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool' as const;
export const ERROR_TYPE_TOOL_ERROR = 'tool_error' as const;

// Span events for notifications tied to an open operation.
export const EVENT_PROGRESS = 'mcp.progress' as const;
export const EVENT_LOG_MESSAGE = 'mcp.log_message' as const;
export const EVENT_CANCELLED = 'mcp.cancelled' as const;
/** Any other notification on the operation's stream (e.g. a subscriptions/listen stream's), by method. */
export const EVENT_NOTIFICATION = 'mcp.notification' as const;
export const ATTR_EVENT_PROGRESS = 'mcp.progress.value' as const;
export const ATTR_EVENT_PROGRESS_TOTAL = 'mcp.progress.total' as const;
export const ATTR_EVENT_LOG_LEVEL = 'mcp.log.level' as const;
export const ATTR_EVENT_CANCEL_REASON = 'mcp.cancel.reason' as const;

// Metrics (OTel MCP conventions): histograms in seconds with the conventions' buckets.
export const METRIC_MCP_SERVER_OPERATION_DURATION = 'mcp.server.operation.duration' as const;
export const METRIC_MCP_CLIENT_OPERATION_DURATION = 'mcp.client.operation.duration' as const;
export const METRIC_MCP_SERVER_SESSION_DURATION = 'mcp.server.session.duration' as const;
export const DURATION_BUCKETS_S: readonly number[] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

// Histograms of what calls cost (unit By, and {token} for the estimate), labelled as the operation
// histograms. Their names are the span attributes' (ATTR_MCP_PROXY_ARGUMENTS_SIZE and the others).
/** Powers of 4 from 64 B to 16 MiB. */
export const SIZE_BUCKETS_BY: readonly number[] = [64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216];
export const TOKEN_BUCKETS: readonly number[] = [16, 64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576];

// The proxy's own metrics.
export const METRIC_PROXY_REQUESTS = 'mcp_trace_proxy.http.requests' as const;
export const METRIC_PROXY_MESSAGES = 'mcp_trace_proxy.messages' as const;
export const METRIC_PROXY_UNPARSED_BODIES = 'mcp_trace_proxy.bodies.unparsed' as const;
export const METRIC_PROXY_OVERSIZED_BODIES = 'mcp_trace_proxy.bodies.oversized' as const;
export const METRIC_PROXY_UPSTREAM_ERRORS = 'mcp_trace_proxy.upstream.errors' as const;
export const METRIC_PROXY_OPEN_STREAMS = 'mcp_trace_proxy.streams.open' as const;
export const METRIC_PROXY_ACTIVE_SESSIONS = 'mcp_trace_proxy.sessions.active' as const;
export const METRIC_PROXY_PENDING_DROPPED = 'mcp_trace_proxy.pending.dropped' as const;
/** Notifications that named no operation while several were open: attached to none. */
export const METRIC_PROXY_NOTIFICATIONS_UNROUTED = 'mcp_trace_proxy.notifications.unrouted' as const;
export const METRIC_PROXY_EXPORT_FAILURES = 'mcp_trace_proxy.span_export.failures' as const;
export const METRIC_PROXY_SPANS_KEPT = 'mcp_trace_proxy.spans.kept' as const;
/** Ended unsampled child spans dropped from the bounded buffer that waits for their parent's decision. */
export const METRIC_PROXY_KEEP_BUFFER_DROPPED = 'mcp_trace_proxy.spans.keep_buffer_dropped' as const;
/** Messages --record did not write: its queue was full, or the cassette could not be written. */
export const METRIC_PROXY_RECORD_DROPPED = 'mcp_trace_proxy.record.dropped' as const;
export const ATTR_KEPT_REASON = 'reason' as const;
export const ATTR_MESSAGE_DIRECTION = 'mcp_trace_proxy.direction' as const;

// OpenInference (Arize Phoenix; also read by Langfuse), added beside the MCP keys, never instead.
// Source: Arize-ai/openinference, spec/semantic_conventions.md. On unless --no-openinference.
export const ATTR_OPENINFERENCE_SPAN_KIND = 'openinference.span.kind' as const;
export const ATTR_OI_SESSION_ID = 'session.id' as const;
export const ATTR_OI_TOOL_NAME = 'tool.name' as const;
export const ATTR_OI_INPUT_VALUE = 'input.value' as const;
export const ATTR_OI_INPUT_MIME_TYPE = 'input.mime_type' as const;
export const ATTR_OI_OUTPUT_VALUE = 'output.value' as const;
export const ATTR_OI_OUTPUT_MIME_TYPE = 'output.mime_type' as const;
export const OI_SPAN_KIND_TOOL = 'TOOL' as const;
export const OI_SPAN_KIND_LLM = 'LLM' as const;
export const OI_SPAN_KIND_RETRIEVER = 'RETRIEVER' as const;
export const OI_SPAN_KIND_CHAIN = 'CHAIN' as const;
export const OI_MIME_JSON = 'application/json' as const;
