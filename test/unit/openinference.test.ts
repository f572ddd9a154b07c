// The OpenInference attribute builders: pure, no spans.
import { openInferenceInput, openInferenceOutput, openInferenceSession, openInferenceSpanKind, openInferenceStart } from '../../src/tracing/openinference';

test.each([
  ['tools/call', 'TOOL'], ['sampling/createMessage', 'LLM'], ['resources/read', 'RETRIEVER'],
  ['initialize', 'CHAIN'], ['tools/list', 'CHAIN'], ['prompts/get', 'CHAIN'], ['notifications/initialized', 'CHAIN'], ['server/discover', 'CHAIN'],
])('%s is %s', (method, kind) => {
  expect(openInferenceSpanKind(method)).toBe(kind);
});

test('start: tool.name only on tool calls, session.id when known', () => {
  expect(openInferenceStart('tools/call', 'get_weather', 's-1')).toEqual({ 'openinference.span.kind': 'TOOL', 'tool.name': 'get_weather', 'session.id': 's-1' });
  expect(openInferenceStart('prompts/get', 'greet')).toEqual({ 'openinference.span.kind': 'CHAIN' });
  expect(openInferenceStart('tools/call', undefined, '')).toEqual({ 'openinference.span.kind': 'TOOL' });
});

test('session, input and output', () => {
  expect(openInferenceSession('abc')).toEqual({ 'session.id': 'abc' });
  expect(openInferenceInput('{"a":1}')).toEqual({ 'input.value': '{"a":1}', 'input.mime_type': 'application/json' });
  expect(openInferenceOutput('{"content":[]}')).toEqual({ 'output.value': '{"content":[]}', 'output.mime_type': 'application/json' });
});
