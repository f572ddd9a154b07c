// The pure parts of record/replay: canonical matching, diffs and --ignore paths, the policy, and
// the recorder's bounded queue (drops counted, never a throw into the tap).
import { matchKey, nearest } from '../../src/record/canonical';
import { diffResponses, parseIgnore } from '../../src/record/diff';
import { ARGUMENTS_MARKER, RESULTS_MARKER, applyPolicy } from '../../src/record/policy';
import { Recorder } from '../../src/record/recorder';
import { DEFAULT_REDACT_KEYS } from '../../src/tracing/redact';
import { Scope } from '../../src/pipeline/scope';
import type { Channel } from '../../src/pipeline/channel';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

test('matching ignores trace keys and the progress token in _meta, and key order', () => {
  const a = matchKey('tools/call', { name: 'add', arguments: { a: 1, b: 2 }, _meta: { traceparent: '00-1-2-01', progressToken: 7 } });
  const b = matchKey('tools/call', { arguments: { b: 2, a: 1 }, name: 'add' });
  expect(a).toBe(b);
  expect(matchKey('tools/call', { name: 'add', _meta: { tenant: 'x', baggage: 'k=v' } })).toBe('tools/call {"_meta":{"tenant":"x"},"name":"add"}');
});

test('nearest prefers the same method and target', () => {
  const recorded = ['tools/call {"arguments":{"a":2,"b":3,"c":"a long value here"},"name":"add"}', 'tools/call {"arguments":{},"name":"fail"}', 'tools/list {}'];
  expect(nearest('tools/call {"arguments":{"a":2,"b":4},"name":"add"}', recorded)).toBe(recorded[0]);
  expect(nearest('prompts/list {}', recorded)).toBe(recorded[2]);
});

test('diffs name JSON paths; --ignore takes $., [n], [*] and quoted keys', () => {
  const rec = { result: { content: [{ type: 'text', text: '5' }], meta: { time: 1 } } };
  const live = { result: { content: [{ type: 'text', text: '6' }], meta: { time: 2 }, extra: true } };
  expect(diffResponses(rec, live, []).map((d) => d.path)).toEqual(['result.content[0].text', 'result.meta.time', 'result.extra']);
  expect(diffResponses(rec, live, ['$.result.content[*].text', 'result["meta"].time', 'result.extra'].map(parseIgnore))).toEqual([]);
  expect(diffResponses({ error: { code: 1 } }, { result: {} }, []).map((d) => d.path)).toEqual(['result', 'error']);
  // A result recorded without capture matches whatever comes now.
  expect(diffResponses({ result: { content: [{ type: 'text', text: RESULTS_MARKER }] } }, live, [])).toEqual([]);
  expect(() => parseIgnore('$')).toThrow(/not a JSON path/);
});

test('the policy: markers without capture, masks with it, protocol keys spared', () => {
  const policy = { captureArguments: false, captureResults: false, redactKeys: DEFAULT_REDACT_KEYS };
  const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't', arguments: { q: 'x' }, _meta: { progressToken: 3, authorization: 'Bearer abc' } } };
  expect(applyPolicy(call, 'tools/call', policy)).toEqual({ ...call, params: { name: 't', arguments: ARGUMENTS_MARKER, _meta: { progressToken: 3, authorization: '[REDACTED]' } } });
  const result = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'private' }], structuredContent: { x: 1 }, isError: true } };
  expect(applyPolicy(result, 'tools/call', policy)).toEqual({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: RESULTS_MARKER }], isError: true } });
  expect(applyPolicy(result, 'tools/call', { ...policy, captureResults: true })).toEqual(result);
  const sampling = { jsonrpc: '2.0', id: 2, method: 'sampling/createMessage', params: { maxTokens: 10, note: 'mail me at a@b.example' } };
  expect(applyPolicy(sampling, 'sampling/createMessage', policy)).toEqual({ ...sampling, params: { maxTokens: 10, note: 'mail me at [EMAIL]' } });
});

test('the recorder drops past its queue bound, counts, and never throws into the tap', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtp-rec-'));
  const file = path.join(dir, 'c.jsonl');
  const counters = { recordDropped: 0 };
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const rec = new Recorder({ file, maxBytes: 1024 ** 3, overwrite: false, writer: 't', policy: { captureArguments: false, captureResults: false, redactKeys: [] } }, counters, log);
  const channel = { scope: Scope.connection('stdio') } as unknown as Channel;
  const text = '{"jsonrpc":"2.0","method":"notifications/x"}';
  for (let i = 0; i < 10_050; i++) rec.onMessage(channel, 'server_to_client', text, { kind: 'notification', index: 0, method: 'notifications/x' });
  expect(counters.recordDropped).toBe(50);
  expect(() => rec.onMessage(null as unknown as Channel, 'client_to_server', text, { kind: 'notification', index: 0 })).not.toThrow();
  await rec.close();
  expect(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(10_001); // header + what was queued
  fs.rmSync(dir, { recursive: true, force: true });
});
