// Pure builders of span names and attributes from JSON-RPC messages (OTel MCP semantic conventions).
import { createHash } from 'node:crypto';
import type { Attributes } from '@opentelemetry/api';
import { RpcMessage, metaOf, str } from '../jsonrpc/parse';
import type { MetricLabels } from './labels';
import * as semconv from './semconv';

/** Where a message came from: the transport and its peers. */
export interface ConnInfo {
  readonly transport: 'tcp' | 'pipe';
  readonly protocolName?: 'http' | 'websocket';
  readonly protocolVersion?: string;
  readonly serverAddress?: string;
  readonly serverPort?: number;
  readonly clientAddress?: string;
  readonly clientPort?: number;
  readonly sessionId?: string;
  /** From the MCP-Protocol-Version header. */
  readonly mcpProtocolVersion?: string;
}

const RESOURCE_METHODS = new Set(['resources/read', 'resources/subscribe', 'resources/unsubscribe', 'notifications/resources/updated']);

/** `gen_ai.tool.name` or `gen_ai.prompt.name`, the target in the span name. */
export function targetOf(m: RpcMessage): { tool?: string; prompt?: string } {
  if (m.method === 'tools/call') return { tool: str(m.params, 'name') };
  if (m.method === 'prompts/get') return { prompt: str(m.params, 'name') };
  return {};
}

/** `{mcp.method.name} {target}`, e.g. `tools/call get_weather`. */
export function spanName(m: RpcMessage): string {
  const t = targetOf(m);
  const target = t.tool ?? t.prompt;
  return target ? `${m.method} ${target}` : (m.method as string);
}

/** Attributes known when a request or notification passes. */
export function requestAttributes(m: RpcMessage, conn: ConnInfo): Attributes {
  const a: Attributes = { [semconv.ATTR_MCP_METHOD_NAME]: m.method };
  const t = targetOf(m);
  if (t.tool !== undefined) {
    a[semconv.ATTR_GEN_AI_TOOL_NAME] = t.tool;
    a[semconv.ATTR_GEN_AI_OPERATION_NAME] = semconv.GEN_AI_OPERATION_EXECUTE_TOOL;
  }
  if (t.prompt !== undefined) a[semconv.ATTR_GEN_AI_PROMPT_NAME] = t.prompt;
  if (RESOURCE_METHODS.has(m.method as string)) {
    const uri = str(m.params, 'uri');
    if (uri !== undefined) a[semconv.ATTR_MCP_RESOURCE_URI] = uri;
  }
  // The string form; a number as the client wrote it (2^53+1 stays 2^53+1).
  if (m.id !== undefined) a[semconv.ATTR_JSONRPC_REQUEST_ID] = typeof m.id === 'string' ? m.id : m.idText ?? String(m.id);
  const version = protocolVersionOf(m) ?? conn.mcpProtocolVersion;
  if (version) a[semconv.ATTR_MCP_PROTOCOL_VERSION] = version;
  if (conn.sessionId) a[semconv.ATTR_MCP_SESSION_ID] = conn.sessionId;
  a[semconv.ATTR_NETWORK_TRANSPORT] = conn.transport;
  if (conn.protocolName) a[semconv.ATTR_NETWORK_PROTOCOL_NAME] = conn.protocolName;
  if (conn.protocolVersion) a[semconv.ATTR_NETWORK_PROTOCOL_VERSION] = conn.protocolVersion;
  if (conn.serverAddress) a[semconv.ATTR_SERVER_ADDRESS] = conn.serverAddress;
  if (conn.serverPort !== undefined) a[semconv.ATTR_SERVER_PORT] = conn.serverPort;
  if (conn.clientAddress) a[semconv.ATTR_CLIENT_ADDRESS] = conn.clientAddress;
  if (conn.clientPort !== undefined) a[semconv.ATTR_CLIENT_PORT] = conn.clientPort;
  return a;
}

/**
 * The low-cardinality subset for operation metrics: no ids, URIs or addresses, and every value
 * client-written bounded by `labels`. Computed whether or not the span is sampled, so metrics
 * count every operation.
 */
export function metricAttributes(m: RpcMessage, conn: ConnInfo, labels: MetricLabels, caller?: Attributes): Attributes {
  const a: Attributes = { [semconv.ATTR_MCP_METHOD_NAME]: labels.method(m.method as string), [semconv.ATTR_NETWORK_TRANSPORT]: conn.transport };
  const t = targetOf(m);
  if (t.tool !== undefined) {
    a[semconv.ATTR_GEN_AI_TOOL_NAME] = labels.name('tool', t.tool);
    a[semconv.ATTR_GEN_AI_OPERATION_NAME] = semconv.GEN_AI_OPERATION_EXECUTE_TOOL;
  }
  if (t.prompt !== undefined) a[semconv.ATTR_GEN_AI_PROMPT_NAME] = labels.name('prompt', t.prompt);
  const version = protocolVersionOf(m) ?? conn.mcpProtocolVersion;
  if (version) a[semconv.ATTR_MCP_PROTOCOL_VERSION] = labels.protocolVersion(version);
  if (conn.protocolName) a[semconv.ATTR_NETWORK_PROTOCOL_NAME] = conn.protocolName;
  // Caller attributes named by --metric-attribute (tenant, client), bounded like the rest.
  for (const key of labels.attributes) {
    const v = caller?.[key];
    if (v !== undefined) a[key] = labels.attribute(key, String(v));
  }
  return a;
}

/** The protocol version a request names itself: initialize's params, or the stateless `_meta` key (2026-07-28). */
export function protocolVersionOf(m: RpcMessage): string | undefined {
  if (m.method === 'initialize') return str(m.params, 'protocolVersion');
  return str(metaOf(m), 'io.modelcontextprotocol/protocolVersion');
}

export interface Outcome {
  readonly attributes: Attributes;
  /** Set when the span's status is ERROR. */
  readonly errorMessage?: string;
}

/** What a response says about its request: JSON-RPC error, tool error, MRTR result type. */
export function responseOutcome(method: string, res: RpcMessage): Outcome {
  if (res.error) {
    const code = String(res.error.code);
    return {
      attributes: { [semconv.ATTR_RPC_RESPONSE_STATUS_CODE]: code, [semconv.ATTR_ERROR_TYPE]: code },
      errorMessage: res.error.message || `JSON-RPC error ${code}`,
    };
  }
  const result = res.result as Record<string, unknown> | null | undefined;
  const attributes: Attributes = {};
  if (result && typeof result === 'object') {
    if (typeof result.resultType === 'string') attributes[semconv.ATTR_MCP_RESULT_TYPE] = result.resultType;
    if (method === 'initialize' && typeof result.protocolVersion === 'string') {
      attributes[semconv.ATTR_MCP_PROTOCOL_VERSION] = result.protocolVersion;
    }
    if (method === 'tools/call' && result.isError === true) {
      attributes[semconv.ATTR_ERROR_TYPE] = semconv.ERROR_TYPE_TOOL_ERROR;
      // The tool's own text may hold private data: the description names the kind only.
      return { attributes, errorMessage: 'tool returned isError: true' };
    }
  }
  return { attributes };
}

/** The correlation value of a `requestState`: a truncated sha256, so the state itself (the server's, maybe secret) is never recorded. */
export function requestStateHash(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex').slice(0, 16);
}

/** An MRTR round's attributes: its number when known (a retry whose first round the proxy never saw has none), and the call's hash. */
export function roundAttributes(round: number | undefined, stateHash: string): Attributes {
  const a: Attributes = { [semconv.ATTR_MCP_REQUEST_STATE_HASH]: stateHash };
  if (round !== undefined) a[semconv.ATTR_MCP_REQUEST_ROUND] = round;
  return a;
}

/** A result's cost: its raw JSON bytes and, with --estimate-tokens, its estimated tokens. */
export interface ResultSize {
  readonly bytes: number;
  readonly tokens?: { readonly count: number; readonly tokenizer: string; readonly encoding: string };
}

/** The raw JSON byte length of the request's `params.arguments`. */
export function argumentsSizeAttributes(bytes: number): Attributes {
  return { [semconv.ATTR_MCP_PROXY_ARGUMENTS_SIZE]: bytes };
}

/** The raw JSON byte length of the response's `result`, and the token estimate with what made it. */
export function resultSizeAttributes(size: ResultSize): Attributes {
  const a: Attributes = { [semconv.ATTR_MCP_PROXY_RESULT_SIZE]: size.bytes };
  if (size.tokens) {
    a[semconv.ATTR_MCP_PROXY_RESULT_TOKENS] = size.tokens.count;
    a[semconv.ATTR_MCP_PROXY_TOKENIZER_NAME] = size.tokens.tokenizer;
    a[semconv.ATTR_MCP_PROXY_TOKENIZER_ENCODING] = size.tokens.encoding;
  }
  return a;
}
