// Unit tests for src/tracing/attributes.ts: span names and attributes per the OTel MCP conventions.
import { ConnInfo, argumentsSizeAttributes, requestAttributes, responseOutcome, resultSizeAttributes, spanName, targetOf } from '../../src/tracing/attributes';
import { RpcMessage, toMessage } from '../../src/jsonrpc/parse';
import * as sc from '../../src/tracing/semconv';

function msg(v: Record<string, unknown>): RpcMessage {
  const m = toMessage({ jsonrpc: '2.0', ...v });
  if (!m) throw new Error(`not a JSON-RPC message: ${JSON.stringify(v)}`);
  return m;
}

const req = (method: string, params?: Record<string, unknown>, id: string | number = 1) => msg({ id, method, params });
const note = (method: string, params?: Record<string, unknown>) => msg({ method, params });
const res = (body: Record<string, unknown>) => msg({ id: 1, ...body });

const PIPE: ConnInfo = { transport: 'pipe' };
const HTTP: ConnInfo = {
  transport: 'tcp',
  protocolName: 'http',
  protocolVersion: '1.1',
  serverAddress: 'mcp.internal',
  serverPort: 3001,
  clientAddress: '10.0.0.2',
  clientPort: 54321,
  sessionId: 'sess-123',
  mcpProtocolVersion: '2025-06-18',
};

describe('spanName', () => {
  it('tools/call names the tool', () => {
    expect(spanName(req('tools/call', { name: 'get_weather', arguments: { city: 'Paris' } }))).toBe('tools/call get_weather');
  });
  it('prompts/get names the prompt', () => {
    expect(spanName(req('prompts/get', { name: 'greet' }))).toBe('prompts/get greet');
  });
  it('resources/read has no target in the name (the URI is an attribute)', () => {
    expect(spanName(req('resources/read', { uri: 'file:///etc/hosts' }))).toBe('resources/read');
  });
  it('tools/call without a (string) name is just the method', () => {
    expect(spanName(req('tools/call'))).toBe('tools/call');
    expect(spanName(req('tools/call', { arguments: {} }))).toBe('tools/call');
    expect(spanName(req('tools/call', { name: 42 }))).toBe('tools/call');
  });
  it('a name param on other methods is not a target', () => {
    expect(spanName(req('resources/read', { name: 'x' }))).toBe('resources/read');
    expect(spanName(note('notifications/initialized', { name: 'x' }))).toBe('notifications/initialized');
  });
  it('targetOf tells tools from prompts', () => {
    expect(targetOf(req('tools/call', { name: 't' }))).toEqual({ tool: 't' });
    expect(targetOf(req('prompts/get', { name: 'p' }))).toEqual({ prompt: 'p' });
    expect(targetOf(req('ping'))).toEqual({});
  });
});

describe('requestAttributes', () => {
  it('tools/call: method, tool name, execute_tool operation, request id as a string', () => {
    const a = requestAttributes(req('tools/call', { name: 'get_weather' }, 7), PIPE);
    expect(a).toEqual({
      [sc.ATTR_MCP_METHOD_NAME]: 'tools/call',
      [sc.ATTR_GEN_AI_TOOL_NAME]: 'get_weather',
      [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_EXECUTE_TOOL,
      [sc.ATTR_JSONRPC_REQUEST_ID]: '7',
      [sc.ATTR_NETWORK_TRANSPORT]: 'pipe',
    });
    expect(sc.GEN_AI_OPERATION_EXECUTE_TOOL).toBe('execute_tool');
  });

  it('does not record the tool arguments', () => {
    const a = requestAttributes(req('tools/call', { name: 't', arguments: { password: 'hunter2' } }), PIPE);
    expect(JSON.stringify(a)).not.toContain('hunter2');
    expect(a[sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBeUndefined();
  });

  it('tools/call without a name: no tool name, no operation', () => {
    const a = requestAttributes(req('tools/call', {}), PIPE);
    expect(a[sc.ATTR_GEN_AI_TOOL_NAME]).toBeUndefined();
    expect(a[sc.ATTR_GEN_AI_OPERATION_NAME]).toBeUndefined();
  });

  it('prompts/get: the prompt name, no tool attributes', () => {
    const a = requestAttributes(req('prompts/get', { name: 'greet' }), PIPE);
    expect(a[sc.ATTR_GEN_AI_PROMPT_NAME]).toBe('greet');
    expect(a[sc.ATTR_GEN_AI_TOOL_NAME]).toBeUndefined();
    expect(a[sc.ATTR_GEN_AI_OPERATION_NAME]).toBeUndefined();
  });

  it('request ids: string ids as they are, numbers stringified', () => {
    expect(requestAttributes(req('ping', undefined, 'abc-1'), PIPE)[sc.ATTR_JSONRPC_REQUEST_ID]).toBe('abc-1');
    expect(requestAttributes(req('ping', undefined, 0), PIPE)[sc.ATTR_JSONRPC_REQUEST_ID]).toBe('0');
    expect(typeof requestAttributes(req('ping', undefined, 12), PIPE)[sc.ATTR_JSONRPC_REQUEST_ID]).toBe('string');
  });

  it('notifications have no request id', () => {
    const a = requestAttributes(note('notifications/initialized'), PIPE);
    expect(a[sc.ATTR_MCP_METHOD_NAME]).toBe('notifications/initialized');
    expect(sc.ATTR_JSONRPC_REQUEST_ID in a).toBe(false);
  });

  it.each(['resources/read', 'resources/subscribe', 'resources/unsubscribe'])('%s records the resource URI', (method) => {
    expect(requestAttributes(req(method, { uri: 'file:///a.txt' }), PIPE)[sc.ATTR_MCP_RESOURCE_URI]).toBe('file:///a.txt');
  });

  it('notifications/resources/updated records the resource URI', () => {
    expect(requestAttributes(note('notifications/resources/updated', { uri: 'mem://x' }), PIPE)[sc.ATTR_MCP_RESOURCE_URI]).toBe('mem://x');
  });

  it.each(['tools/call', 'resources/list', 'resources/templates/list', 'prompts/get', 'completion/complete'])('%s does not record a uri param', (method) => {
    expect(sc.ATTR_MCP_RESOURCE_URI in requestAttributes(req(method, { name: 'n', uri: 'file:///a' }), PIPE)).toBe(false);
  });

  it('resources/read without a string uri records none', () => {
    expect(sc.ATTR_MCP_RESOURCE_URI in requestAttributes(req('resources/read', { uri: 5 }), PIPE)).toBe(false);
  });

  describe('protocol version', () => {
    it('initialize: from params.protocolVersion, over the header', () => {
      const a = requestAttributes(req('initialize', { protocolVersion: '2025-03-26', capabilities: {} }), HTTP);
      expect(a[sc.ATTR_MCP_PROTOCOL_VERSION]).toBe('2025-03-26');
    });

    it('initialize without protocolVersion: falls back to the header', () => {
      expect(requestAttributes(req('initialize', {}), HTTP)[sc.ATTR_MCP_PROTOCOL_VERSION]).toBe('2025-06-18');
    });

    it('other requests: from _meta["io.modelcontextprotocol/protocolVersion"], over the header', () => {
      const m = req('tools/call', { name: 't', _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } });
      expect(requestAttributes(m, HTTP)[sc.ATTR_MCP_PROTOCOL_VERSION]).toBe('2026-07-28');
      expect(requestAttributes(m, PIPE)[sc.ATTR_MCP_PROTOCOL_VERSION]).toBe('2026-07-28');
    });

    it('other requests: a protocolVersion param is not the protocol version', () => {
      const m = req('tools/call', { name: 't', protocolVersion: '1999-01-01' });
      expect(requestAttributes(m, HTTP)[sc.ATTR_MCP_PROTOCOL_VERSION]).toBe('2025-06-18');
      expect(sc.ATTR_MCP_PROTOCOL_VERSION in requestAttributes(m, PIPE)).toBe(false);
    });

    it('from the MCP-Protocol-Version header otherwise', () => {
      expect(requestAttributes(req('tools/list'), HTTP)[sc.ATTR_MCP_PROTOCOL_VERSION]).toBe('2025-06-18');
    });

    it('absent when nothing names it', () => {
      expect(sc.ATTR_MCP_PROTOCOL_VERSION in requestAttributes(req('tools/list'), PIPE)).toBe(false);
    });
  });

  it('session id, network, server and client attributes from the connection', () => {
    const a = requestAttributes(req('tools/list'), HTTP);
    expect(a).toEqual({
      [sc.ATTR_MCP_METHOD_NAME]: 'tools/list',
      [sc.ATTR_JSONRPC_REQUEST_ID]: '1',
      [sc.ATTR_MCP_PROTOCOL_VERSION]: '2025-06-18',
      [sc.ATTR_MCP_SESSION_ID]: 'sess-123',
      [sc.ATTR_NETWORK_TRANSPORT]: 'tcp',
      [sc.ATTR_NETWORK_PROTOCOL_NAME]: 'http',
      [sc.ATTR_NETWORK_PROTOCOL_VERSION]: '1.1',
      [sc.ATTR_SERVER_ADDRESS]: 'mcp.internal',
      [sc.ATTR_SERVER_PORT]: 3001,
      [sc.ATTR_CLIENT_ADDRESS]: '10.0.0.2',
      [sc.ATTR_CLIENT_PORT]: 54321,
    });
  });

  it('ports are numbers', () => {
    const a = requestAttributes(req('ping'), HTTP);
    expect(typeof a[sc.ATTR_SERVER_PORT]).toBe('number');
    expect(typeof a[sc.ATTR_CLIENT_PORT]).toBe('number');
  });

  it('a minimal connection sets only the transport', () => {
    const a = requestAttributes(req('ping'), PIPE);
    expect(Object.keys(a).sort()).toEqual([sc.ATTR_JSONRPC_REQUEST_ID, sc.ATTR_MCP_METHOD_NAME, sc.ATTR_NETWORK_TRANSPORT].sort());
  });

  it('websocket connections name the protocol', () => {
    const a = requestAttributes(req('ping'), { transport: 'tcp', protocolName: 'websocket', protocolVersion: '13' });
    expect(a[sc.ATTR_NETWORK_PROTOCOL_NAME]).toBe('websocket');
    expect(a[sc.ATTR_NETWORK_PROTOCOL_VERSION]).toBe('13');
  });
});

describe('responseOutcome', () => {
  it('a JSON-RPC error: status code and error.type are the code as a string, message is the error message', () => {
    const o = responseOutcome('tools/call', res({ error: { code: -32602, message: 'Invalid params' } }));
    expect(o.attributes).toEqual({ [sc.ATTR_RPC_RESPONSE_STATUS_CODE]: '-32602', [sc.ATTR_ERROR_TYPE]: '-32602' });
    expect(typeof o.attributes[sc.ATTR_ERROR_TYPE]).toBe('string');
    expect(o.errorMessage).toBe('Invalid params');
  });

  it('a JSON-RPC error without a message gets a generic one naming the code', () => {
    const o = responseOutcome('ping', res({ error: { code: -32000, message: '' } }));
    expect(o.errorMessage).toBe('JSON-RPC error -32000');
  });

  it('a success is not an error', () => {
    const o = responseOutcome('tools/list', res({ result: { tools: [] } }));
    expect(o.errorMessage).toBeUndefined();
    expect(o.attributes).toEqual({});
  });

  it('tools/call with isError: error.type tool_error and a message without the tool text', () => {
    const secret = 'db password is hunter2';
    const o = responseOutcome('tools/call', res({ result: { isError: true, content: [{ type: 'text', text: secret }] } }));
    expect(o.attributes[sc.ATTR_ERROR_TYPE]).toBe(sc.ERROR_TYPE_TOOL_ERROR);
    expect(sc.ERROR_TYPE_TOOL_ERROR).toBe('tool_error');
    expect(o.errorMessage).toBeDefined();
    expect(o.errorMessage).not.toContain('hunter2');
    expect(JSON.stringify(o.attributes)).not.toContain('hunter2');
    expect(sc.ATTR_RPC_RESPONSE_STATUS_CODE in o.attributes).toBe(false);
  });

  it('tools/call with isError false or absent is a success', () => {
    expect(responseOutcome('tools/call', res({ result: { isError: false, content: [] } })).errorMessage).toBeUndefined();
    expect(responseOutcome('tools/call', res({ result: { content: [] } })).errorMessage).toBeUndefined();
    expect(responseOutcome('tools/call', res({ result: { isError: 'true' } })).errorMessage).toBeUndefined();
  });

  it('isError on another method is not a tool error', () => {
    const o = responseOutcome('prompts/get', res({ result: { isError: true } }));
    expect(o.errorMessage).toBeUndefined();
    expect(sc.ATTR_ERROR_TYPE in o.attributes).toBe(false);
  });

  it('resultType is recorded as mcp.result.type and is not an error', () => {
    const o = responseOutcome('tools/call', res({ result: { resultType: 'input_required', inputRequests: [] } }));
    expect(o.attributes).toEqual({ [sc.ATTR_MCP_RESULT_TYPE]: 'input_required' });
    expect(o.errorMessage).toBeUndefined();
  });

  it('resultType alongside isError keeps both', () => {
    const o = responseOutcome('tools/call', res({ result: { resultType: 'complete', isError: true } }));
    expect(o.attributes).toEqual({ [sc.ATTR_MCP_RESULT_TYPE]: 'complete', [sc.ATTR_ERROR_TYPE]: sc.ERROR_TYPE_TOOL_ERROR });
    expect(o.errorMessage).toBeDefined();
  });

  it('initialize: the negotiated protocolVersion from the result', () => {
    const o = responseOutcome('initialize', res({ result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 's', version: '1' } } }));
    expect(o.attributes).toEqual({ [sc.ATTR_MCP_PROTOCOL_VERSION]: '2025-06-18' });
  });

  it('a protocolVersion in other results is ignored', () => {
    expect(responseOutcome('tools/call', res({ result: { protocolVersion: 'x' } })).attributes).toEqual({});
  });

  it('non-object results are fine', () => {
    expect(responseOutcome('ping', res({ result: null }))).toEqual({ attributes: {} });
    expect(responseOutcome('ping', res({ result: 'ok' }))).toEqual({ attributes: {} });
    expect(responseOutcome('tools/call', res({ result: [1] }))).toEqual({ attributes: {} });
  });
});

describe('what a call costs', () => {
  it('the arguments size under its literal name', () => {
    expect(argumentsSizeAttributes(13)).toEqual({ 'mcp_trace_proxy.request.arguments.size': 13 });
  });

  it('the result size alone, without a token estimate', () => {
    expect(resultSizeAttributes({ bytes: 0 })).toEqual({ 'mcp_trace_proxy.response.result.size': 0 });
  });

  it('the token estimate with the tokenizer and encoding that made it', () => {
    expect(resultSizeAttributes({ bytes: 120, tokens: { count: 31, tokenizer: 'js-tiktoken', encoding: 'o200k_base' } })).toEqual({
      'mcp_trace_proxy.response.result.size': 120,
      'mcp_trace_proxy.response.result.tokens': 31,
      'mcp_trace_proxy.tokenizer.name': 'js-tiktoken',
      'mcp_trace_proxy.tokenizer.encoding': 'o200k_base',
    });
  });
});
