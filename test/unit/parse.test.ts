// Unit tests for src/jsonrpc/parse.ts: classification of JSON-RPC bodies, id typing, batches,
// and the shape of the error bodies the proxy sends back.
import { errorBody, metaOf, parseBody, str, toMessage } from '../../src/jsonrpc/parse';

describe('parseBody: single messages', () => {
  it('classifies a request with its id, method and object params', () => {
    const text = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}';
    const p = parseBody(text);
    expect(p).toEqual({
      batch: false,
      // frame: the text it came from, for raw member sizes (size.ts).
      messages: [{ kind: 'request', index: 0, id: 7, idText: '7', method: 'tools/call', params: { name: 'add', arguments: { a: 1 } }, frame: text }],
    });
  });

  it('classifies a notification (method, no id)', () => {
    const p = parseBody('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    expect(p?.batch).toBe(false);
    expect(p?.messages).toHaveLength(1);
    const m = p!.messages[0];
    expect(m.kind).toBe('notification');
    expect(m.method).toBe('notifications/initialized');
    expect(m.id).toBeUndefined();
    expect(m.params).toBeUndefined();
  });

  it('classifies a success response', () => {
    const m = parseBody('{"jsonrpc":"2.0","id":"abc","result":{"tools":[]}}')!.messages[0];
    expect(m.kind).toBe('response');
    expect(m.id).toBe('abc');
    expect(m.result).toEqual({ tools: [] });
    expect(m.error).toBeUndefined();
    expect(m.method).toBeUndefined();
  });

  it('classifies a response whose result is null (result key present)', () => {
    const m = parseBody('{"jsonrpc":"2.0","id":1,"result":null}')!.messages[0];
    expect(m.kind).toBe('response');
    expect(m.result).toBeNull();
  });

  it('classifies an error response and normalises the error to code + message', () => {
    const m = parseBody('{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"Method not found","data":{"x":1}}}')!.messages[0];
    expect(m.kind).toBe('response');
    expect(m.id).toBe(3);
    expect(m.error).toEqual({ code: -32601, message: 'Method not found' });
  });

  it('keeps an error response with id null, the id left undefined', () => {
    const m = parseBody('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}')!.messages[0];
    expect(m.kind).toBe('response');
    expect(m.id).toBeUndefined();
    expect(m.error).toEqual({ code: -32700, message: 'Parse error' });
  });

  it('defaults a malformed error object to code 0 and empty message', () => {
    const m = parseBody('{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":5}}')!.messages[0];
    expect(m.error).toEqual({ code: 0, message: '' });
  });

  it('keeps the id type: 1 and "1" are different ids with different correlation texts', () => {
    const n = parseBody('{"jsonrpc":"2.0","id":1,"method":"ping"}')!.messages[0];
    const s = parseBody('{"jsonrpc":"2.0","id":"1","method":"ping"}')!.messages[0];
    expect(n.id).toBe(1);
    expect(typeof n.id).toBe('number');
    expect(s.id).toBe('1');
    expect(typeof s.id).toBe('string');
    expect(n.idText).toBe('1');
    expect(s.idText).toBe('"1"');
  });

  it('keys ids past 2^53 by their exact text: 9007199254740992 and 9007199254740993 stay apart', () => {
    const a = parseBody('{"jsonrpc":"2.0","id":9007199254740992,"method":"ping"}')!.messages[0];
    const b = parseBody('[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id": 9007199254740993 ,"method":"ping"}]')!.messages[1];
    expect(a.id).toBe(b.id); // JSON.parse merges them
    expect(a.idText).toBe('9007199254740992');
    expect(b.idText).toBe('9007199254740993');
  });

  it('is not JSON-RPC without "jsonrpc":"2.0"', () => {
    expect(parseBody('{"id":1,"method":"ping"}')).toBeNull();
    expect(parseBody('{"jsonrpc":"1.0","id":1,"method":"ping"}')).toBeNull();
    expect(parseBody('{"jsonrpc":"2.0","id":1,"method":"ping"}')).not.toBeNull();
  });

  it('ignores positional (array) params', () => {
    const m = parseBody('{"jsonrpc":"2.0","id":1,"method":"subtract","params":[42,23]}')!.messages[0];
    expect(m.kind).toBe('request');
    expect(m.params).toBeUndefined();
  });

  it('ignores params that are not an object (null, string)', () => {
    expect(parseBody('{"jsonrpc":"2.0","id":1,"method":"m","params":null}')!.messages[0].params).toBeUndefined();
    expect(parseBody('{"jsonrpc":"2.0","id":1,"method":"m","params":"x"}')!.messages[0].params).toBeUndefined();
  });

  it('rejects a request whose id is neither string nor number', () => {
    expect(parseBody('{"jsonrpc":"2.0","id":null,"method":"ping"}')).toBeNull();
    expect(parseBody('{"jsonrpc":"2.0","id":{},"method":"ping"}')).toBeNull();
    expect(parseBody('{"jsonrpc":"2.0","id":true,"method":"ping"}')).toBeNull();
  });

  it('rejects objects that are neither request, notification nor response', () => {
    expect(parseBody('{"jsonrpc":"2.0","id":1}')).toBeNull();
    expect(parseBody('{}')).toBeNull();
    expect(parseBody('{"method":5,"id":1}')).toBeNull();
  });
});

describe('parseBody: not JSON-RPC → null', () => {
  it.each([
    ['empty string', ''],
    ['not JSON', 'hello'],
    ['truncated JSON', '{"jsonrpc":"2.0","id":1,"method":"x"'],
    ['number', '42'],
    ['string', '"ping"'],
    ['true', 'true'],
    ['null', 'null'],
    ['empty array', '[]'],
    ['array of primitives', '[1,"a",null]'],
  ])('%s', (_name, text) => {
    expect(parseBody(text)).toBeNull();
  });
});

describe('parseBody: batches', () => {
  it('parses a batch with each message at its own index', () => {
    const p = parseBody(
      '[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"notifications/b"},{"jsonrpc":"2.0","id":"x","result":{}}]',
    );
    expect(p?.batch).toBe(true);
    expect(p!.messages.map((m) => [m.kind, m.index])).toEqual([
      ['request', 0],
      ['notification', 1],
      ['response', 2],
    ]);
  });

  it('skips invalid elements but keeps the original index of the valid ones', () => {
    const p = parseBody('[5,{"jsonrpc":"2.0","id":1,"method":"a"},null,{"foo":1},{"jsonrpc":"2.0","method":"n"}]');
    expect(p?.batch).toBe(true);
    expect(p!.messages.map((m) => ({ kind: m.kind, index: m.index, method: m.method }))).toEqual([
      { kind: 'request', index: 1, method: 'a' },
      { kind: 'notification', index: 4, method: 'n' },
    ]);
  });

  it('a batch of one is still a batch', () => {
    const p = parseBody('[{"jsonrpc":"2.0","id":1,"method":"a"}]');
    expect(p?.batch).toBe(true);
    expect(p?.messages).toHaveLength(1);
  });

  it('a batch of only invalid elements is null', () => {
    expect(parseBody('[{"foo":1},[],"x"]')).toBeNull();
  });
});

describe('toMessage', () => {
  it('uses the given index', () => {
    expect(toMessage({ jsonrpc: '2.0', id: 2, method: 'm' }, 5)?.index).toBe(5);
  });
  it('rejects arrays and primitives', () => {
    expect(toMessage([])).toBeNull();
    expect(toMessage('x')).toBeNull();
    expect(toMessage(null)).toBeNull();
  });
  it('rejects non-finite numeric ids on requests', () => {
    expect(toMessage({ jsonrpc: '2.0', id: Infinity, method: 'm' })).toBeNull();
  });
});

describe('str and metaOf', () => {
  it('str returns only string properties', () => {
    expect(str({ a: 'x', b: 1 }, 'a')).toBe('x');
    expect(str({ a: 'x', b: 1 }, 'b')).toBeUndefined();
    expect(str(undefined, 'a')).toBeUndefined();
  });
  it('metaOf returns params._meta only when it is an object', () => {
    const withMeta = parseBody('{"jsonrpc":"2.0","id":1,"method":"m","params":{"_meta":{"traceparent":"t"}}}')!.messages[0];
    expect(metaOf(withMeta)).toEqual({ traceparent: 't' });
    const nullMeta = parseBody('{"jsonrpc":"2.0","id":1,"method":"m","params":{"_meta":null}}')!.messages[0];
    expect(metaOf(nullMeta)).toBeUndefined();
    const arrMeta = parseBody('{"jsonrpc":"2.0","id":1,"method":"m","params":{"_meta":[1]}}')!.messages[0];
    expect(metaOf(arrMeta)).toBeUndefined();
  });
});

describe('errorBody', () => {
  it('single: one error object answering the first id', () => {
    const out = JSON.parse(errorBody(['7'], false, -32000, 'upstream refused the connection'));
    expect(out).toEqual({ jsonrpc: '2.0', id: 7, error: { code: -32000, message: 'upstream refused the connection' } });
  });

  it('single with a string id keeps it a string', () => {
    expect(JSON.parse(errorBody(['"7"'], false, -32001, 'timeout')).id).toBe('7');
  });

  it('single with no ids answers id null', () => {
    expect(JSON.parse(errorBody([], false, -32700, 'Parse error'))).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error' },
    });
  });

  it('batch: an array with one error per id, in order', () => {
    const out = JSON.parse(errorBody(['1', '"two"', null], true, -32000, 'down'));
    expect(Array.isArray(out)).toBe(true);
    expect(out).toEqual([
      { jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'down' } },
      { jsonrpc: '2.0', id: 'two', error: { code: -32000, message: 'down' } },
      { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'down' } },
    ]);
  });

  it('includes data only when given', () => {
    expect(JSON.parse(errorBody(['1'], false, -32000, 'm', { status: 502 })).error).toEqual({ code: -32000, message: 'm', data: { status: 502 } });
    expect('data' in JSON.parse(errorBody(['1'], false, -32000, 'm')).error).toBe(false);
  });

  it('its output is itself parsed as responses by parseBody', () => {
    const p = parseBody(errorBody(['1', '2'], true, -32000, 'x'));
    expect(p?.batch).toBe(true);
    expect(p!.messages.map((m) => [m.kind, m.id, m.error?.code])).toEqual([
      ['response', 1, -32000],
      ['response', 2, -32000],
    ]);
  });
});
