// The raw size of `params.arguments` and `result`, read from the frame by the scanner's positions.
import { parseBody } from '../../src/jsonrpc/parse';
import { ARGUMENTS_PATH, RESULT_PATH, memberBytes, rawMember } from '../../src/jsonrpc/size';
import { MAX_TOKENIZED_CHARS, countTokens, loadTokenCounter } from '../../src/tracing/tokens';

function one(text: string, i = 0) {
  const parsed = parseBody(text);
  if (!parsed) throw new Error('not JSON-RPC');
  return parsed.messages[i];
}

test('the arguments as sent, whitespace inside kept, byte for byte', () => {
  const text = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments": {"a": 1,\n "b":2} }}';
  const m = one(text);
  expect(rawMember(m, ARGUMENTS_PATH)).toBe('{"a": 1,\n "b":2}');
  expect(memberBytes(m, ARGUMENTS_PATH)).toBe(16);
});

test('bytes, not characters: UTF-8 and escapes as they came', () => {
  const text = '{"jsonrpc":"2.0","id":"x","result":{"text":"é€😀\\u00e9"}}';
  // {"text":"  (9) + é (2) + € (3) + 😀 (4) + \u00e9 (6) + "} (2)
  expect(memberBytes(one(text), RESULT_PATH)).toBe(26);
});

test('the last of duplicate keys, as JSON.parse reads it', () => {
  const text = '{"jsonrpc":"2.0","id":1,"result":[1,2,3],"result":{"ok":true}}';
  expect(rawMember(one(text), RESULT_PATH)).toBe('{"ok":true}');
});

test('each message of a batch has its own member', () => {
  const text = ' [{"jsonrpc":"2.0","id":1,"result":"a"}, 7, {"jsonrpc":"2.0","id":2,"result":{"long":"abcdef"}}]';
  const parsed = parseBody(text)!;
  expect(parsed.messages.map((m) => memberBytes(m, RESULT_PATH))).toEqual([3, 17]);
});

test('absent members, params that are not an object, and messages without a frame give undefined', () => {
  expect(memberBytes(one('{"jsonrpc":"2.0","id":1,"method":"ping"}'), ARGUMENTS_PATH)).toBeUndefined();
  expect(memberBytes(one('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":null}}'), ARGUMENTS_PATH)).toBe(4);
  expect(memberBytes(one('{"jsonrpc":"2.0","id":1,"method":"x","params":[1,2]}'), ARGUMENTS_PATH)).toBeUndefined();
  expect(memberBytes({ kind: 'response', index: 0, result: 1 }, RESULT_PATH)).toBeUndefined();
});

test('a long text is tokenized up to the cap and extrapolated', () => {
  const calls: number[] = [];
  const encode = (t: string) => (calls.push(t.length), t.length / 4);
  expect(countTokens('x'.repeat(100), encode, 50)).toBe(25);
  expect(calls).toEqual([50]);
  expect(countTokens('x'.repeat(40), encode, 50)).toBe(10);
  expect(MAX_TOKENIZED_CHARS).toBe(65_536);
});

test('the tokenizer loads and counts o200k_base tokens', () => {
  const t = loadTokenCounter();
  expect([t.tokenizer, t.encoding]).toEqual(['js-tiktoken', 'o200k_base']);
  expect(t.count('hello world')).toBe(2);
});
