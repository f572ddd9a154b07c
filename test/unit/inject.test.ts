// Unit tests for src/jsonrpc/inject.ts spliceMeta. The central property: every byte outside
// `params._meta` is preserved; the trace keys are inserted (or replace the old trace keys).
import { TRACE_META_KEYS, TraceFields, spliceMeta } from '../../src/jsonrpc/inject';

/** The splice with `_meta` created where absent (the session-era case); the rule itself is tested in test/unit/inject-rule.test.ts. */
const splice = (text: string, fields: readonly (TraceFields | null)[]) => spliceMeta(text, fields.map((f) => f && { fields: f, create: true }));

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const TS = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';
const BG = 'userId=alice,serverNode=DF%2028';
const ALL: TraceFields = { traceparent: TP, tracestate: TS, baggage: BG };
/** The text spliceMeta writes for ALL, in TRACE_META_KEYS order. */
const F = `"traceparent":${JSON.stringify(TP)},"tracestate":${JSON.stringify(TS)},"baggage":${JSON.stringify(BG)}`;

/**
 * When `result` is `original` with one contiguous insertion, returns the result with that
 * insertion removed (i.e. `original`); otherwise something different from `original`.
 */
function withoutInsertion(original: string, result: string): string {
  const extra = result.length - original.length;
  if (extra <= 0) return result;
  let p = 0;
  while (p < original.length && original[p] === result[p]) p++;
  return result.slice(0, p) + result.slice(p + extra);
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('spliceMeta: where the fields go', () => {
  it('no params: adds params._meta before the final }', () => {
    const input = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    expect(splice(input, [ALL])).toBe(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{${F}}}}`);
  });

  it('no params, odd whitespace and trailing newline: only the insertion changes', () => {
    const input = '\n { "jsonrpc" : "2.0" ,\t"id": 1, "method":"ping"  }\r\n';
    const out = splice(input, [ALL])!;
    expect(out).toBe(`\n { "jsonrpc" : "2.0" ,\t"id": 1, "method":"ping"  ,"params":{"_meta":{${F}}}}\r\n`);
    expect(JSON.parse(out).params._meta).toEqual(ALL);
  });

  it('an empty message object gets params without a leading comma', () => {
    expect(splice('{}', [ALL])).toBe(`{"params":{"_meta":{${F}}}}`);
  });

  it('params without _meta: _meta becomes its first member', () => {
    const input = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}';
    const out = splice(input, [ALL]);
    expect(out).toBe(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{${F}},"name":"add","arguments":{"a":1,"b":2}}}`);
    expect(JSON.parse(out!).params).toEqual({ _meta: ALL, name: 'add', arguments: { a: 1, b: 2 } });
  });

  it('params before method: still the top-level params', () => {
    const input = '{"params":{"x":{"params":{}}},"id":"a","method":"m","jsonrpc":"2.0"}';
    expect(splice(input, [ALL])).toBe(`{"params":{"_meta":{${F}},"x":{"params":{}}},"id":"a","method":"m","jsonrpc":"2.0"}`);
  });

  it('empty params {}', () => {
    expect(splice('{"jsonrpc":"2.0","id":1,"method":"m","params":{}}', [ALL])).toBe(
      `{"jsonrpc":"2.0","id":1,"method":"m","params":{"_meta":{${F}}}}`,
    );
    expect(splice('{"id":1,"method":"m","params":{ \n }}', [ALL])).toBe(`{"id":1,"method":"m","params":{"_meta":{${F}} \n }}`);
  });

  it('empty _meta {}', () => {
    expect(splice('{"id":1,"method":"m","params":{"_meta":{},"a":1}}', [ALL])).toBe(
      `{"id":1,"method":"m","params":{"_meta":{${F}},"a":1}}`,
    );
  });

  it('existing _meta with other keys keeps them byte-for-byte, odd whitespace included', () => {
    const input = '{"id":1,"method":"tools/call","params":{"name":"x","_meta" :  {  "progressToken" :\t42 ,\n "x":"y"  } }}';
    const out = splice(input, [ALL]);
    expect(out).toBe(`{"id":1,"method":"tools/call","params":{"name":"x","_meta" :  {${F},  "progressToken" :\t42 ,\n "x":"y"  } }}`);
    expect(JSON.parse(out!).params._meta).toEqual({ ...ALL, progressToken: 42, x: 'y' });
  });

  it('writes the keys in TRACE_META_KEYS order whatever the order of `fields`', () => {
    expect(TRACE_META_KEYS).toEqual(['traceparent', 'tracestate', 'baggage']);
    const out = splice('{"id":1,"method":"m"}', [{ baggage: BG, tracestate: TS, traceparent: TP }]);
    expect(out).toBe(`{"id":1,"method":"m","params":{"_meta":{${F}}}}`);
  });

  it('fields with only traceparent writes only traceparent', () => {
    const out = splice('{"id":1,"method":"m","params":{"_meta":{"progressToken":"p"}}}', [{ traceparent: TP }]);
    expect(out).toBe(`{"id":1,"method":"m","params":{"_meta":{"traceparent":"${TP}","progressToken":"p"}}}`);
    expect(JSON.parse(out!).params._meta).toEqual({ traceparent: TP, progressToken: 'p' });
  });

  it('escapes values so the result is still valid JSON', () => {
    const out = splice('{"id":1,"method":"m"}', [{ traceparent: TP, baggage: 'k=a"b\\c' }]);
    expect(JSON.parse(out!).params._meta).toEqual({ traceparent: TP, baggage: 'k=a"b\\c' });
  });
});

describe('spliceMeta: replacing existing trace keys', () => {
  const input =
    '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"t","_meta":{"traceparent":"00-11111111111111111111111111111111-2222222222222222-01","progressToken":1,"tracestate":"old=1", "baggage" : "old=2","z":[1,2]},"arguments":{}}}';

  it('no duplicates, and JSON.parse sees exactly the new values plus the other keys', () => {
    const out = splice(input, [ALL])!;
    expect(count(out, '"traceparent"')).toBe(1);
    expect(count(out, '"tracestate"')).toBe(1);
    expect(count(out, '"baggage"')).toBe(1);
    expect(out).not.toContain('old=');
    expect(out).not.toContain('1111111111');
    const meta = JSON.parse(out).params._meta;
    expect(meta).toEqual({ traceparent: TP, tracestate: TS, baggage: BG, progressToken: 1, z: [1, 2] });
  });

  it('bytes outside _meta are untouched', () => {
    const out = splice(input, [ALL])!;
    const metaOpen = input.indexOf('"_meta":{') + '"_meta":'.length;
    const metaClose = input.indexOf('},"arguments"');
    expect(out.slice(0, metaOpen + 1)).toBe(input.slice(0, metaOpen + 1));
    expect(out.endsWith(input.slice(metaClose))).toBe(true);
    expect(out).toBe(`${input.slice(0, metaOpen + 1)}${F},"progressToken":1,"z":[1,2]${input.slice(metaClose)}`);
  });

  it('keeps the other members of _meta byte-for-byte (whitespace around them included)', () => {
    const src = '{"id":1,"method":"m","params":{"_meta":{ "a" : 1 ,"traceparent":"old", "b":"x\\"y" }}}';
    expect(splice(src, [ALL])).toBe(`{"id":1,"method":"m","params":{"_meta":{${F}, "a" : 1 , "b":"x\\"y" }}}`);
  });

  it('_meta that holds only trace keys ends up holding only the new ones', () => {
    const src = '{"id":1,"method":"m","params":{"_meta":{ "traceparent" : "old" }}}';
    expect(splice(src, [ALL])).toBe(`{"id":1,"method":"m","params":{"_meta":{${F}}}}`);
  });

  it('a duplicated old traceparent is removed twice over', () => {
    const src = '{"id":1,"method":"m","params":{"_meta":{"traceparent":"a","traceparent":"b"}}}';
    const out = splice(src, [{ traceparent: TP }])!;
    expect(count(out, '"traceparent"')).toBe(1);
    expect(JSON.parse(out).params._meta).toEqual({ traceparent: TP });
  });

  it('an old trace key written with escapes is recognised and replaced', () => {
    const src = '{"id":1,"method":"m","params":{"_meta":{"trace\\u0070arent":"old","k":1}}}';
    const out = splice(src, [{ traceparent: TP }])!;
    expect(out).not.toContain('old');
    expect(JSON.parse(out).params._meta).toEqual({ traceparent: TP, k: 1 });
  });
});

describe('spliceMeta: byte preservation of tricky JSON', () => {
  it('20-digit integers, \\u escapes, \\" and odd whitespace survive; only the insertion differs', () => {
    const input =
      '{ "jsonrpc":"2.0", "id" : 12345678901234567890 ,\n\t"method":"tools/call",\r\n "params" :\t{ "name":"caf\\u00e9", "arguments":{"q":"say \\"hi\\" \\\\ \\/","n":12345678901234567890,"f":1.0E+2,"neg":-0.0,"u":"\\ud83d\\ude00"} }\n}';
    const out = splice(input, [ALL])!;
    const at = input.indexOf('{ "name"') + 1;
    expect(out).toBe(`${input.slice(0, at)}"_meta":{${F}},${input.slice(at)}`);
    expect(withoutInsertion(input, out)).toBe(input);
    expect(out).toContain('12345678901234567890');
    expect(out).toContain('caf\\u00e9');
    expect(out).toContain('1.0E+2');
    const parsed = JSON.parse(out);
    expect(parsed.params.name).toBe('café');
    expect(parsed.params._meta.traceparent).toBe(TP);
  });

  it('strings that look like structure ({, }, ", params, _meta) inside values are not mistaken for it', () => {
    const input = '{"id":"{\\"params\\":{}}","method":"m","x":"}]","params":{"s":"\\"_meta\\":{","_meta":{"k":"{}"}}}';
    const out = splice(input, [ALL])!;
    expect(out).toBe(input.replace('"_meta":{"k"', `"_meta":{${F},"k"`));
    expect(JSON.parse(out).params).toEqual({ s: '"_meta":{', _meta: { ...ALL, k: '{}' } });
  });

  it('big integers inside an existing _meta survive a replacement', () => {
    const input = '{"id":1,"method":"m","params":{"_meta":{"traceparent":"old","big":12345678901234567890}}}';
    expect(splice(input, [ALL])).toBe(`{"id":1,"method":"m","params":{"_meta":{${F},"big":12345678901234567890}}}`);
  });

  it('duplicate params keys: the last one gets _meta, as JSON.parse would read it', () => {
    const input = '{"id":1,"method":"m","params":{"a":1},"params":{"b":2}}';
    const out = splice(input, [ALL])!;
    expect(out).toBe(`{"id":1,"method":"m","params":{"a":1},"params":{"_meta":{${F}},"b":2}}`);
    expect(JSON.parse(out).params).toEqual({ _meta: ALL, b: 2 });
  });

  it('duplicate _meta keys: the last one gets the fields', () => {
    const input = '{"id":1,"method":"m","params":{"_meta":{"a":1},"_meta":{"b":2}}}';
    const out = splice(input, [ALL])!;
    expect(out).toBe(`{"id":1,"method":"m","params":{"_meta":{"a":1},"_meta":{${F},"b":2}}}`);
    expect(JSON.parse(out).params._meta).toEqual({ ...ALL, b: 2 });
  });

  it('a params key written with escapes ("\\u0070arams") is the params member', () => {
    const input = '{"id":1,"method":"m","\\u0070arams":{"a":1}}';
    const out = splice(input, [ALL])!;
    expect(out).toBe(`{"id":1,"method":"m","\\u0070arams":{"_meta":{${F}},"a":1}}`);
    expect(JSON.parse(out).params).toEqual({ _meta: ALL, a: 1 });
  });

  it('a _meta key written with escapes is the _meta member', () => {
    const input = '{"id":1,"method":"m","params":{"_m\\u0065ta":{"a":1}}}';
    const out = splice(input, [ALL])!;
    expect(out).toBe(`{"id":1,"method":"m","params":{"_m\\u0065ta":{${F},"a":1}}}`);
    expect(JSON.parse(out).params._meta).toEqual({ ...ALL, a: 1 });
  });

  it('escaped params after a plain one: the escaped (last) one wins', () => {
    const input = '{"id":1,"method":"m","params":{"a":1},"\\u0070arams":{"b":2}}';
    const out = splice(input, [ALL])!;
    expect(out).toBe(`{"id":1,"method":"m","params":{"a":1},"\\u0070arams":{"_meta":{${F}},"b":2}}`);
    expect(JSON.parse(out).params).toEqual({ _meta: ALL, b: 2 });
  });

  it('deep nesting (100000 levels) inside params: no stack overflow, spliced text returned', () => {
    const N = 100_000;
    const deepArr = '['.repeat(N) + ']'.repeat(N);
    const deepObj = '{"a":'.repeat(N) + '1' + '}'.repeat(N);
    const input = `{"id":1,"method":"m","params":{"arr":${deepArr},"obj":${deepObj},"_meta":{"k":1}}}`;
    const out = splice(input, [ALL]);
    expect(out).not.toBeNull();
    const at = input.lastIndexOf('"_meta":{') + '"_meta":{'.length;
    expect(out === `${input.slice(0, at)}${F},${input.slice(at)}`).toBe(true);
  });

  it('deep nesting without _meta: inserted at the start of params', () => {
    const N = 100_000;
    const input = `{"id":1,"method":"m","params":{"arr":${'['.repeat(N) + ']'.repeat(N)}}}`;
    const out = splice(input, [{ traceparent: TP }]);
    expect(out === input.replace('"params":{', `"params":{"_meta":{"traceparent":"${TP}"},`)).toBe(true);
  });
});

describe('spliceMeta: batches', () => {
  const a = '{"jsonrpc":"2.0","id":1,"method":"a"}';
  const b = '{"jsonrpc":"2.0","method":"notifications/b","params":{"x":1}}';
  const c = '{"jsonrpc":"2.0","id":"3","method":"c","params":{"_meta":{"traceparent":"old"}}}';
  const f1: TraceFields = { traceparent: '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1111111111111111-01' };
  const f2: TraceFields = { traceparent: '00-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-2222222222222222-01', tracestate: 'b=2' };
  const f3: TraceFields = { traceparent: '00-cccccccccccccccccccccccccccccccc-3333333333333333-01' };

  it('each element gets its own fields', () => {
    const out = splice(`[${a},${b},${c}]`, [f1, f2, f3])!;
    const parsed = JSON.parse(out);
    expect(parsed.map((m: { params: { _meta: unknown } }) => m.params._meta)).toEqual([f1, f2, f3]);
    expect(parsed[1].params.x).toBe(1);
  });

  it('a null entry leaves that element byte-for-byte untouched', () => {
    const input = `[ ${a} ,\n ${b}, ${c} ]`;
    const out = splice(input, [f1, null, f3])!;
    expect(out).toBe(
      `[ ${a.slice(0, -1)},"params":{"_meta":{"traceparent":"${f1.traceparent}"}}} ,\n ${b}, ${c.replace('"traceparent":"old"', `"traceparent":"${f3.traceparent}"`)} ]`,
    );
  });

  it('a sparse or short fields array leaves the missing ones alone', () => {
    const fields: (TraceFields | null)[] = [];
    fields[1] = f2;
    const out = splice(`[${a},${b},${c}]`, fields)!;
    expect(out).toBe(`[${a},${b.replace('"params":{', `"params":{"_meta":{"traceparent":"${f2.traceparent}","tracestate":"b=2"},`)},${c}]`);
  });

  it('non-object elements are skipped but still count for the index', () => {
    const input = `[5,"x",null,[1,{"a":1}],${a}]`;
    const out = splice(input, [f1, f1, f1, f1, f2])!;
    expect(out).toBe(`[5,"x",null,[1,{"a":1}],${a.slice(0, -1)},"params":{"_meta":{"traceparent":"${f2.traceparent}","tracestate":"b=2"}}}]`);
  });

  it('all-null fields: nothing changed → null', () => {
    expect(splice(`[${a},${b}]`, [null, null])).toBeNull();
  });

  it('an empty batch → null', () => {
    expect(splice('[]', [ALL])).toBeNull();
    expect(splice(' [ ] ', [ALL])).toBeNull();
  });
});

describe('spliceMeta: unchanged → null', () => {
  it.each([
    ['params is an array', '{"id":1,"method":"m","params":[1,2]}'],
    ['params is a string', '{"id":1,"method":"m","params":"x"}'],
    ['params is null', '{"id":1,"method":"m","params":null}'],
    ['_meta is null', '{"id":1,"method":"m","params":{"_meta":null}}'],
    ['_meta is an array', '{"id":1,"method":"m","params":{"_meta":[]}}'],
    ['_meta is a string', '{"id":1,"method":"m","params":{"_meta":"x"}}'],
  ])('%s', (_name, input) => {
    expect(splice(input, [ALL])).toBeNull();
  });

  it('a null entry for a single message', () => {
    expect(splice('{"id":1,"method":"m"}', [null])).toBeNull();
    expect(splice('{"id":1,"method":"m"}', [])).toBeNull();
  });

  it('fields with no keys', () => {
    expect(splice('{"id":1,"method":"m"}', [{}])).toBeNull();
  });
});

describe('spliceMeta: invalid input → null, never throws', () => {
  it.each([
    ['empty', ''],
    ['whitespace', '   '],
    ['not JSON', 'hello'],
    ['number', '42'],
    ['string', '"x"'],
    ['null', 'null'],
    ['lone {', '{'],
    ['lone [', '['],
    ['missing final }', '{"id":1,"method":"m"'],
    ['missing final } after params', '{"id":1,"method":"m","params":{"a":1}'],
    ['unterminated string', '{"id":1,"method":"m","params":{"a":"x}}'],
    ['unterminated key', '{"id":1,"method":"m","params":{"a}}'],
    ['missing colon', '{"id" 1,"method":"m"}'],
    ['missing comma', '{"id":1 "method":"m"}'],
    ['unquoted key', '{id:1,"method":"m"}'],
    ['unbalanced params', '{"id":1,"method":"m","params":{"a":[1,2}'],
    ['batch missing ]', '[{"id":1,"method":"m"}'],
    ['batch missing comma', '[{"id":1,"method":"m"} {"id":2,"method":"n"}]'],
  ])('%s', (_name, input) => {
    let out: string | null = 'not called';
    expect(() => {
      out = splice(input, [ALL, ALL]);
    }).not.toThrow();
    expect(out).toBeNull();
  });

  it('every truncation of a valid single body and batch is null', () => {
    const bodies = [
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a\\"b","_meta":{"traceparent":"old","k":[1,{"x":2}]},"arguments":{"n":12345678901234567890}}}',
      '[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b","params":{}}]',
    ];
    for (const body of bodies) {
      for (let cut = 0; cut < body.length; cut++) {
        const prefix = body.slice(0, cut);
        let out: string | null = 'x';
        expect(() => {
          out = splice(prefix, [ALL, ALL]);
        }).not.toThrow();
        if (out !== null) throw new Error(`truncated at ${cut}: ${JSON.stringify(prefix)} gave ${JSON.stringify(out)}`);
      }
    }
  });
});

// ---- property-style check over generated requests ----

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BIG = '__BIG__';
const STRING_POOL = ['', 'a', 'params', '_meta', 'traceparent', '{"x":[1]}', 'quote " and \\ back', 'é ü 中 😀', '\n\t\r', '\u0000\u001f', '}]'];

function genRequest(rnd: () => number): { text: string } {
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const key = () => pick(['a', 'b', 'name', 'uri', 'params', '_meta', 'x y', 'é', 'arguments', 'traceparentish']);
  const value = (depth: number): unknown => {
    const r = int(depth > 3 ? 5 : 8);
    switch (r) {
      case 0: return null;
      case 1: return rnd() < 0.5;
      case 2: return rnd() < 0.3 ? BIG : Math.round((rnd() - 0.5) * 1e6) / (rnd() < 0.5 ? 1 : 1000);
      case 3:
      case 4: return pick(STRING_POOL);
      case 5:
      case 6: {
        const o: Record<string, unknown> = {};
        for (let i = int(4); i > 0; i--) o[key()] = value(depth + 1);
        return o;
      }
      default: return Array.from({ length: int(4) }, () => value(depth + 1));
    }
  };
  const msg: Record<string, unknown> = {};
  const order = ['jsonrpc', 'id', 'method', 'params'].sort(() => rnd() - 0.5);
  const paramsMode = int(4); // 0: none, 1: params without _meta, 2: params with empty _meta, 3: _meta with other keys
  for (const k of order) {
    if (k === 'jsonrpc') msg.jsonrpc = '2.0';
    else if (k === 'id') msg.id = rnd() < 0.5 ? int(1e6) : `id-${int(1e6)}`;
    else if (k === 'method') msg.method = pick(['tools/call', 'prompts/get', 'resources/read', 'ping', 'x/y']);
    else if (paramsMode > 0) {
      const p: Record<string, unknown> = {};
      for (let i = int(4); i > 0; i--) {
        const kk = key();
        if (kk !== '_meta') p[kk] = value(1);
      }
      if (paramsMode === 2) p._meta = {};
      if (paramsMode === 3) p._meta = { progressToken: value(3), 'io.example/k': pick(STRING_POOL) };
      msg.params = p;
    }
  }
  const indent = pick([0, 1, 2, 4, '\t', ' \n ']);
  let n = 0;
  const text = JSON.stringify(msg, null, indent as string | number).replace(new RegExp(`"${BIG}"`, 'g'), () => `1234567890123456789${n++ % 10}`);
  return { text };
}

describe('spliceMeta: property over 200 generated requests', () => {
  it('is a pure insertion, and the result carries the injected traceparent', () => {
    const rnd = prng(0x5eed1234);
    for (let i = 0; i < 200; i++) {
      const { text } = genRequest(rnd);
      const tp = `00-${(i + 1).toString(16).padStart(32, '0')}-${(i + 7).toString(16).padStart(16, '0')}-01`;
      const fields: TraceFields = rnd() < 0.5 ? { traceparent: tp } : { traceparent: tp, tracestate: `k=${i}`, baggage: `b=${i}` };
      const out = splice(text, [fields]);
      if (out === null) throw new Error(`case ${i}: null for ${text}`);
      if (withoutInsertion(text, out) !== text) throw new Error(`case ${i}: not a pure insertion\n${text}\n---\n${out}`);
      const parsed = JSON.parse(out);
      expect(parsed.params._meta.traceparent).toBe(tp);
      expect(parsed.params._meta.tracestate).toBe(fields.tracestate);
      expect(parsed.params._meta.baggage).toBe(fields.baggage);
      // The rest of the message reads the same as before.
      const before = JSON.parse(text);
      const { _meta: metaAfter, ...paramsAfter } = parsed.params;
      const { _meta: metaBefore, ...paramsBefore } = before.params ?? {};
      expect(paramsAfter).toEqual(paramsBefore);
      for (const k of TRACE_META_KEYS) delete metaAfter[k];
      expect(metaAfter).toEqual(metaBefore ?? {});
      expect({ ...parsed, params: undefined }).toEqual({ ...before, params: undefined });
    }
  });
});
