// Unit tests for src/proxy/sse.ts SseParser: the events tapped from an SSE stream must not depend
// on how the bytes were chunked, whatever the line endings.
import { SseEvent, SseParser } from '../../src/pipeline/sse';

const MAX = 1 << 20;

/** Events from feeding the chunks (strings are UTF-8 encoded; Buffers pass as they are), then end(). */
function parse(chunks: readonly (string | Buffer)[], maxEventBytes = MAX): SseEvent[] {
  const events: SseEvent[] = [];
  const p = new SseParser((e) => events.push(e), maxEventBytes);
  for (const c of chunks) p.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  p.end();
  return events;
}

/** Events for every way of cutting the stream's bytes in two, plus byte-at-a-time; all must be equal. */
function expectSameAtEverySplit(stream: string, expected: SseEvent[], maxEventBytes = MAX): void {
  const buf = Buffer.from(stream, 'utf8');
  expect(parse([buf], maxEventBytes)).toEqual(expected);
  for (let k = 0; k <= buf.length; k++) {
    const got = parse([buf.subarray(0, k), buf.subarray(k)], maxEventBytes);
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      throw new Error(`split at byte ${k} (${JSON.stringify(buf.subarray(0, k).toString())} | ...) gave ${JSON.stringify(got)}`);
    }
  }
  const bytes = Array.from({ length: buf.length }, (_, i) => buf.subarray(i, i + 1));
  expect(parse(bytes, maxEventBytes)).toEqual(expected);
}

const ev = (data: string, event = 'message', id?: string): SseEvent => ({ event, data, id });

const RESULT = '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"café 😀 中文"}]}}';
const SAMPLE_LF = [
  ': keep-alive comment',
  '',
  'id: prime-0',
  'data:',
  '',
  'event: message',
  'id: 42',
  `data: ${RESULT}`,
  '',
  'data: line one',
  'data: line two',
  'data:',
  'data: line four',
  '',
  'retry: 1000',
  '',
  'event: custom',
  'data:no-space',
  ':comment inside an event',
  'data:  two spaces',
  '',
  '',
].join('\n');
const SAMPLE_EVENTS: SseEvent[] = [
  ev('', 'message', 'prime-0'),
  ev(RESULT, 'message', '42'),
  ev('line one\nline two\n\nline four', 'message', '42'),
  ev('no-space\n two spaces', 'custom', '42'),
];

describe('SseParser: chunk boundaries', () => {
  it('parses the sample stream in one chunk', () => {
    expect(parse([SAMPLE_LF])).toEqual(SAMPLE_EVENTS);
  });

  it('LF: every split point gives identical events', () => {
    expectSameAtEverySplit(SAMPLE_LF, SAMPLE_EVENTS);
  });

  it('CRLF: every split point gives identical events (CRLF split across chunks included)', () => {
    expectSameAtEverySplit(SAMPLE_LF.replace(/\n/g, '\r\n'), SAMPLE_EVENTS);
  });

  it('CR: every split point gives identical events', () => {
    expectSameAtEverySplit(SAMPLE_LF.replace(/\n/g, '\r'), SAMPLE_EVENTS);
  });

  it('mixed line endings: every split point gives identical events', () => {
    const stream = 'data: a\r\ndata: b\r\rdata: c\n\r\nevent: e\rdata: d\n\r';
    expectSameAtEverySplit(stream, [ev('a\nb'), ev('c'), ev('d', 'e')]);
  });

  it('a CRLF whose CR ends one chunk and LF starts the next is one line ending', () => {
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([ev('a\nb')]);
  });

  it('a CR at a chunk end followed by a non-LF chunk', () => {
    expect(parse(['data: a\r', 'data: b\r', '\r'])).toEqual([ev('a\nb')]);
  });

  it('a multi-byte UTF-8 character split across chunks is decoded whole', () => {
    const buf = Buffer.from('data: 😀é\n\n', 'utf8');
    const at = buf.indexOf(0xf0) + 2; // inside the 4-byte emoji
    expect(parse([buf.subarray(0, at), buf.subarray(at, at + 1), buf.subarray(at + 1)])).toEqual([ev('😀é')]);
  });

  it('empty chunks change nothing', () => {
    expect(parse(['', 'data: x\r', '', '\n', Buffer.alloc(0), '\n'])).toEqual([ev('x')]);
  });
});

describe('SseParser: fields', () => {
  it('event: sets the type for one event only; the default is message', () => {
    expect(parse(['event: progress\ndata: 1\n\ndata: 2\n\n'])).toEqual([ev('1', 'progress'), ev('2')]);
  });

  it('an empty event: field means message', () => {
    expect(parse(['event:\ndata: x\n\n'])).toEqual([ev('x')]);
  });

  it('id: is kept for later events (the last event id)', () => {
    expect(parse(['id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n'])).toEqual([ev('a', 'message', '1'), ev('b', 'message', '1'), ev('c', 'message', '2')]);
  });

  it('no id: id is undefined', () => {
    expect(parse(['data: a\n\n'])[0].id).toBeUndefined();
  });

  it('multi-line data is joined with \\n', () => {
    expect(parse(['data: {"a":\ndata: 1}\n\n'])).toEqual([ev('{"a":\n1}')]);
  });

  it('only one leading space is stripped from a value; a field without a colon has an empty value', () => {
    expect(parse(['data:   x \n\n'])).toEqual([ev('  x ')]);
    expect(parse(['data\n\n'])).toEqual([ev('')]);
  });

  it('comments and unknown fields are ignored', () => {
    expect(parse([': hi\nretry: 10\nfoo: bar\ndata: x\n: bye\n\n'])).toEqual([ev('x')]);
  });

  it('a field name is case-sensitive', () => {
    expect(parse(['Data: x\n\n'])).toEqual([]);
  });

  it('priming event: an id with no data line is not dispatched', () => {
    expect(parse(['id: prime\n\n'])).toEqual([]);
    expect(parse(['event: x\nid: 1\n\n: only a comment\n\n'])).toEqual([]);
  });

  it('priming event: data: with an empty value is dispatched with data ""', () => {
    expect(parse(['id: prime\ndata:\n\n'])).toEqual([ev('', 'message', 'prime')]);
    expect(parse(['id: prime\ndata: \n\n'])).toEqual([ev('', 'message', 'prime')]);
  });

  it('blank lines between events dispatch nothing extra', () => {
    expect(parse(['\n\n\ndata: a\n\n\n\ndata: b\n\n\n'])).toEqual([ev('a'), ev('b')]);
  });

  it('an event not ended by a blank line before the stream ends is not dispatched', () => {
    expect(parse(['data: a\n\ndata: b\n'])).toEqual([ev('a')]);
    expect(parse(['data: a\n\ndata: b'])).toEqual([ev('a')]);
  });
});

describe('SseParser: maxEventBytes', () => {
  it('an event larger than the limit is skipped, the next one is delivered (every split point)', () => {
    const big = 'x'.repeat(200);
    const stream = `id: 1\ndata: ${big}\n\ndata: small\n\n`;
    expectSameAtEverySplit(stream, [ev('small', 'message', '1')], 64);
  });

  it('an oversized multi-chunk event is skipped however it arrives', () => {
    const events: SseEvent[] = [];
    const p = new SseParser((e) => events.push(e), 100);
    p.push(Buffer.from('data: '));
    for (let i = 0; i < 1000; i++) p.push(Buffer.from('y'.repeat(50)));
    p.push(Buffer.from('\n\ndata: ok\n\n'));
    p.end();
    expect(events).toEqual([ev('ok')]);
  });

  it('an event exactly at the limit is delivered; one character more is not', () => {
    // The limit counts the event's line contents ("data: abc" is 9).
    expect(parse(['data: abc\n\n'], 9)).toEqual([ev('abc')]);
    expect(parse(['data: abc\n\n'], 8)).toEqual([]);
  });

  it('the limit is per event, not per stream', () => {
    const stream = Array.from({ length: 50 }, (_, i) => `data: event-${i}\n\n`).join('');
    const events = parse([stream], 20);
    expect(events).toHaveLength(50);
    expect(events[49]).toEqual(ev('event-49'));
  });
});

describe('regressions', () => {
  function parseChunks(chunks: readonly string[], max = 1 << 20): SseEvent[] {
    const events: SseEvent[] = [];
    const p = new SseParser((e) => events.push(e), max);
    for (const c of chunks) p.push(Buffer.from(c, 'utf8'));
    p.end();
    return events;
  }

  it('a CRLF ending one chunk, then a LF blank line in the next, ends the event', () => {
    expect(parseChunks(['data: a\r\n', '\ndata: b\n\n'])).toEqual([
      { event: 'message', data: 'a', id: undefined },
      { event: 'message', data: 'b', id: undefined },
    ]);
  });

  it('an oversized line does not end its event: the rest of it is skipped too', () => {
    const stream = `data: ${'x'.repeat(100)}\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\ndata: next\n\n`;
    expect(parseChunks([stream], 50)).toEqual([{ event: 'message', data: 'next', id: undefined }]);
  });

  it('a leading byte-order mark is stripped', () => {
    expect(parseChunks(['\uFEFFdata: a\n\n'])).toEqual([{ event: 'message', data: 'a', id: undefined }]);
  });
});
