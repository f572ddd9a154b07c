// Property-based tests for src/proxy/sse.ts SseParser: for generated event streams written with
// random line endings (LF, CRLF, CR, mixed) and cut into chunks at random byte offsets (inside
// multi-byte UTF-8 characters and CRLF pairs included), the tapped events equal those from the
// whole stream in one chunk, and equal the generated events.
import fc from 'fast-check';
import { SseEvent, SseParser } from '../../src/pipeline/sse';

const MAX = 1 << 20;

// ---------------------------------------------------------------------------------------------
// The model: an event is a list of lines; a stream is events, each ended by a blank line.

type Line =
  | { readonly f: 'data' | 'event' | 'id'; readonly v: string; readonly sp: boolean } // `field:` + (' ' if sp) + v
  | { readonly f: 'bare-data' } // `data` without a colon: an empty data line
  | { readonly f: 'comment'; readonly v: string }
  | { readonly f: 'ignored'; readonly name: string; readonly v: string }; // retry, unknown or wrongly cased fields

interface GenEvent {
  readonly lines: readonly Line[];
}

/** A field value as the parser must see it: one leading space after the colon is dropped. */
function valueOf(line: { v: string; sp: boolean }): string {
  const written = (line.sp ? ' ' : '') + line.v;
  return written.startsWith(' ') ? written.slice(1) : written;
}

function renderLine(l: Line): string {
  switch (l.f) {
    case 'data':
    case 'event':
    case 'id':
      return `${l.f}:${l.sp ? ' ' : ''}${l.v}`;
    case 'bare-data':
      return 'data';
    case 'comment':
      return `:${l.v}`;
    case 'ignored':
      return `${l.name}:${l.v}`;
  }
}

/** What the parser must tap: events with at least one data line; the id is the last one seen so far. */
function expectedEvents(events: readonly GenEvent[]): SseEvent[] {
  const out: SseEvent[] = [];
  let id: string | undefined;
  for (const e of events) {
    const data: string[] = [];
    let type = '';
    for (const l of e.lines) {
      if (l.f === 'data') data.push(valueOf(l));
      else if (l.f === 'bare-data') data.push('');
      else if (l.f === 'event') type = valueOf(l);
      else if (l.f === 'id') id = valueOf(l);
    }
    if (data.length > 0) out.push({ event: type || 'message', data: data.join('\n'), id });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generators.

const noEol = (s: string): boolean => !/[\r\n]/.test(s);

/** Line contents: unicode (multi-byte in UTF-8: 2, 3 and 4 bytes), colons, spaces, JSON-RPC payloads. */
const text: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 24 }).filter(noEol),
  fc.array(fc.constantFrom('é', '中', '😀', '𝄞', 'a', ' ', ':', ': ', '\t', '{', '"', '\u2028', '\u0085', '\uFEFF'), { maxLength: 16 }).map((a) => a.join('')),
  fc
    .record({ id: fc.integer(), t: fc.string({ unit: 'grapheme', maxLength: 12 }) })
    .map(({ id, t }) => JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: t }] } }))
    .filter(noEol),
);

const line: fc.Arbitrary<Line> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ f: fc.constant('data' as const), v: text, sp: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant<Line>({ f: 'bare-data' }) },
  { weight: 2, arbitrary: fc.record({ f: fc.constant('event' as const), v: fc.oneof(fc.constantFrom('', 'message', 'endpoint', 'progress'), text), sp: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ f: fc.constant('id' as const), v: fc.oneof(fc.integer().map(String), text.filter((s) => !s.includes('\0'))), sp: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ f: fc.constant('comment' as const), v: text }) },
  { weight: 1, arbitrary: fc.record({ f: fc.constant('ignored' as const), name: fc.constantFrom('retry', 'foo', 'Data', 'EVENT', 'ids', 'data ', ' data'), v: text }) },
);

const event: fc.Arbitrary<GenEvent> = fc.record({ lines: fc.array(line, { minLength: 1, maxLength: 6 }) });

const EOLS = ['\n', '\r\n', '\r'] as const;
type Eol = (typeof EOLS)[number];

/** One ending for every line, or a cycling mix. */
const endings: fc.Arbitrary<readonly Eol[]> = fc.oneof(
  fc.constantFrom(...EOLS).map((e) => [e]),
  fc.array(fc.constantFrom(...EOLS), { minLength: 1, maxLength: 8 }),
);

interface Stream {
  readonly events: readonly GenEvent[];
  readonly bytes: Buffer;
}

const stream: fc.Arbitrary<Stream> = fc
  .record({
    events: fc.array(event, { maxLength: 8 }),
    endings,
    bom: fc.boolean(),
    /** Extra blank lines after an event (by index) dispatch nothing. */
    blanks: fc.array(fc.nat({ max: 2 }), { maxLength: 8 }),
    /** An unfinished event at the end of the stream is never dispatched. */
    tail: fc.option(fc.record({ lines: fc.array(line, { minLength: 1, maxLength: 3 }), eol: fc.boolean() }), { freq: 3 }),
  })
  .map(({ events, endings: eols, bom, blanks, tail }): Stream => {
    const lines: string[] = [];
    events.forEach((e, i) => {
      for (const l of e.lines) lines.push(renderLine(l));
      lines.push('');
      for (let k = 0; k < (blanks[i] ?? 0); k++) lines.push('');
    });
    let out = bom ? '\uFEFF' : '';
    let prev = '';
    lines.forEach((l, i) => {
      let eol: string = eols[i % eols.length];
      // CR then an empty line ended by LF would be one CRLF: write that blank line's ending as CRLF.
      if (prev === '\r' && l === '' && eol === '\n') eol = '\r\n';
      out += l + eol;
      prev = eol;
    });
    if (tail) {
      const t = tail.lines.map(renderLine);
      t.forEach((l, i) => {
        out += l;
        if (i < t.length - 1 || tail.eol) out += eols[i % eols.length];
      });
    }
    return { events, bytes: Buffer.from(out, 'utf8') };
  });

/** Chunk boundaries: random byte offsets (empty chunks allowed), inside every multi-byte character, or one byte each. */
function chunksOf(bytes: Buffer): fc.Arbitrary<Buffer[]> {
  const n = bytes.length;
  const at = (cuts: number[]): Buffer[] => {
    const sorted = [...cuts].sort((a, b) => a - b);
    const out: Buffer[] = [];
    let prev = 0;
    for (const c of sorted) {
      out.push(bytes.subarray(prev, c));
      prev = c;
    }
    out.push(bytes.subarray(prev));
    return out;
  };
  const continuation: number[] = [];
  for (let i = 0; i < n; i++) if ((bytes[i] & 0xc0) === 0x80) continuation.push(i);
  const crlf: number[] = [];
  for (let i = 1; i < n; i++) if (bytes[i - 1] === 13 && bytes[i] === 10) crlf.push(i);
  return fc.oneof(
    { weight: 5, arbitrary: fc.array(fc.nat({ max: n }), { maxLength: 12 }).map(at) },
    { weight: 2, arbitrary: fc.subarray(continuation).map(at) }, // inside UTF-8 characters
    { weight: 1, arbitrary: fc.subarray(crlf).map(at) }, // between the CR and LF of a CRLF
    { weight: 1, arbitrary: fc.constant(Array.from({ length: n }, (_, i) => bytes.subarray(i, i + 1))) },
  );
}

function parse(chunks: readonly Buffer[], max = MAX): SseEvent[] {
  const events: SseEvent[] = [];
  const p = new SseParser((e) => events.push(e), max);
  for (const c of chunks) p.push(c);
  p.end();
  return events;
}

const streamAndChunks = stream.chain((s) => fc.tuple(fc.constant(s), chunksOf(s.bytes)));

// ---------------------------------------------------------------------------------------------

describe('SseParser: chunking and line endings do not change the events', () => {
  it('the whole stream in one chunk gives the generated events', () => {
    fc.assert(
      fc.property(stream, (s) => {
        expect(parse([s.bytes])).toEqual(expectedEvents(s.events));
      }),
      { numRuns: 1000 },
    );
  });

  it('any chunking gives the same events as one chunk, and the generated ones', () => {
    fc.assert(
      fc.property(streamAndChunks, ([s, chunks]) => {
        expect(Buffer.concat(chunks).equals(s.bytes)).toBe(true);
        const whole = parse([s.bytes]);
        expect(parse(chunks)).toEqual(whole);
        expect(whole).toEqual(expectedEvents(s.events));
      }),
      { numRuns: 1500 },
    );
  });

  it('with a small maxEventBytes: chunking still changes nothing, and only small events are tapped', () => {
    // The limit counts the characters of an event's lines (UTF-16 units), whatever the chunking.
    const units = (e: GenEvent): number => e.lines.reduce((n, l) => n + renderLine(l).length, 0);
    fc.assert(
      fc.property(streamAndChunks, fc.integer({ min: 1, max: 80 }), ([s, chunks], max) => {
        const whole = parse([s.bytes], max);
        expect(parse(chunks, max)).toEqual(whole);
        const small = expectedEvents(s.events.filter((e) => units(e) <= max));
        const strip = (es: SseEvent[]) => es.map(({ event: t, data }) => ({ event: t, data }));
        expect(strip(whole)).toEqual(strip(small));
      }),
      { numRuns: 800 },
    );
  });
});
