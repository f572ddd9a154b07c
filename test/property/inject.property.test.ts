// Property-based tests for src/jsonrpc/inject.ts spliceMeta. It never throws; on generated JSON-RPC
// messages and batches (raw big integers, escapes, unicode, odd whitespace, existing _meta and trace
// keys, escaped key spellings, duplicate keys) the result parses, carries exactly the injected trace
// keys in params._meta, and keeps every other byte: structurally always, and textually (the input
// plus insertions only) whenever no trace keys had to be replaced.
import fc from 'fast-check';
import { TRACE_META_KEYS, TraceFields, spliceMeta } from '../../src/jsonrpc/inject';

/** The splice with `_meta` created where absent (the session-era case); the rule itself is tested in test/unit/inject-rule.test.ts. */
const splice = (text: string, fields: readonly (TraceFields | null)[]) => spliceMeta(text, fields.map((f) => f && { fields: f, create: true }));

const RUNS = { numRuns: 400 };

// ---------------------------------------------------------------------------------------------
// A JSON document as a tree of raw texts, so that literals survive exactly as written.

type Node =
  | { readonly t: 'raw'; readonly text: string }
  | { readonly t: 'arr'; readonly items: readonly Node[] }
  | { readonly t: 'obj'; readonly members: readonly (readonly [string, Node])[] }; // [raw key literal, value]

const raw = (text: string): Node => ({ t: 'raw', text });

/** Whitespace between tokens: either JSON.stringify's indentation or a pool of odd whitespace. */
type Style = { readonly kind: 'indent'; readonly indent: string | number | undefined } | { readonly kind: 'ws'; readonly pool: readonly string[] };

const MARK = '~~RAW';

/** Serializes a tree. Indent style goes through JSON.stringify itself, raw texts swapped in after. */
function serialize(node: Node, style: Style): string {
  if (style.kind === 'indent') {
    const raws: string[] = [];
    const place = (text: string): string => `${MARK}${raws.push(text) - 1}~~`;
    const toValue = (n: Node): unknown => {
      if (n.t === 'raw') return place(n.text);
      if (n.t === 'arr') return n.items.map(toValue);
      const o: Record<string, unknown> = {};
      for (const [k, v] of n.members) o[place(k)] = toValue(v);
      return o;
    };
    const text = JSON.stringify(toValue(node), null, style.indent);
    return text.replace(/"~~RAW(\d+)~~"/g, (_m, i: string) => raws[Number(i)]);
  }
  let w = 0;
  const ws = (): string => (style.pool.length ? style.pool[w++ % style.pool.length] : '');
  const go = (n: Node): string => {
    if (n.t === 'raw') return n.text;
    if (n.t === 'arr') return n.items.length ? `[${ws()}${n.items.map((x) => go(x) + ws()).join(`,${ws()}`)}]` : `[${ws()}]`;
    if (!n.members.length) return `{${ws()}}`;
    return `{${ws()}${n.members.map(([k, v]) => `${k}${ws()}:${ws()}${go(v)}${ws()}`).join(`,${ws()}`)}}`;
  };
  return ws() + go(node) + ws();
}

const style: fc.Arbitrary<Style> = fc.oneof(
  fc.record({ kind: fc.constant('indent' as const), indent: fc.constantFrom(undefined, 0, 1, 2, 4, '\t', ' \r\n', '\n\t\t') }),
  fc.record({
    kind: fc.constant('ws' as const),
    pool: fc.array(fc.constantFrom('', '', '', ' ', '  ', '\n', '\t', '\r\n', ' \n\t\r '), { maxLength: 7 }),
  }),
);

// ---------------------------------------------------------------------------------------------
// Leaves: strings (unicode, lone surrogates, hand-written escapes), numbers (big integers as raw text).

const noMark = (s: string): boolean => !s.includes(MARK);

const stringLiteral: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }).filter(noMark).map((s) => JSON.stringify(s)),
  fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => JSON.stringify(s)),
  fc
    .array(
      fc.constantFrom('a', 'é', '😀', '中', '\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t', '\\u00e9', '\\u005f', '\\ud83d\\ude00', '{', '}', '[', ']', ',', ':', ' ', 'params', '_meta'),
      { maxLength: 10 },
    )
    .map((parts) => `"${parts.join('')}"`),
);

const numberLiteral: fc.Arbitrary<string> = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String), // far beyond 2^53
  fc.constantFrom('9007199254740993', '-9223372036854775809', '18446744073709551616', '1E+2', '-0', '0.0e-0', '1e400', '123.456e-7'),
);

const leaf: fc.Arbitrary<Node> = fc.oneof(
  stringLiteral.map(raw),
  numberLiteral.map(raw),
  fc.constantFrom('true', 'false', 'null').map(raw),
);

/** Keys of nested objects: anything, including the names spliceMeta looks for (they must be left alone there). */
const anyKey: fc.Arbitrary<string> = fc.oneof(
  stringLiteral,
  fc.constantFrom('"params"', '"_meta"', '"traceparent"', '"tracestate"', '"baggage"', '"\\u005fmeta"', '"id"'),
);

const { value } = fc.letrec<{ value: Node; arr: Node; obj: Node }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('arr'), tie('obj')),
  arr: fc.array(tie('value'), { maxLength: 4 }).map((items): Node => ({ t: 'arr', items })),
  obj: fc.array(fc.tuple(anyKey, tie('value')), { maxLength: 4 }).map((members): Node => ({ t: 'obj', members })),
}));

const decodeKey = (k: string): string => JSON.parse(k) as string;
const RESERVED = new Set(['params', '_meta', ...TRACE_META_KEYS]);
/** Keys of members we place ourselves: never one that would change which member is params, _meta or a trace key. */
const plainKey = anyKey.filter((k) => !RESERVED.has(decodeKey(k)));

/** How `params` and `_meta` are spelled: plainly, or with escapes that decode to the same name. */
const paramsKey = fc.constantFrom('"params"', '"params"', '"p\\u0061rams"', '"\\u0070arams"');
const metaKey = fc.constantFrom('"_meta"', '"_meta"', '"\\u005fmeta"', '"_m\\u0065ta"');
const traceKeyText = (k: string, escaped: boolean): string => (escaped ? `"\\u${k.charCodeAt(0).toString(16).padStart(4, '0')}${k.slice(1)}"` : `"${k}"`);

/** Puts `item` at a position chosen by `seed` in `list`. */
function insertAt<T>(list: T[], item: T, seed: number): void {
  list.splice(seed % (list.length + 1), 0, item);
}

/** Deterministic shuffle driven by generated seeds (so it shrinks). */
function shuffle<T>(list: readonly T[], seeds: readonly number[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (seeds[i % seeds.length] ?? 0) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const notObject: fc.Arbitrary<Node> = fc.oneof(
  leaf,
  fc.array(value, { maxLength: 3 }).map((items): Node => ({ t: 'arr', items })),
);

/** Usually null; sometimes a value (for a duplicate key placed before the real one). */
const rarely = (arb: fc.Arbitrary<Node>): fc.Arbitrary<Node | null> =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

const metaArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'absent' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('object' as const),
      key: metaKey,
      members: fc.array(fc.tuple(plainKey, value), { maxLength: 4 }),
      /** Trace keys the client already put there (they must be replaced). */
      trace: fc.oneof(
        fc.constant<TraceFields>({}),
        fc.record<TraceFields>({ traceparent: stringLiteral, tracestate: stringLiteral, baggage: stringLiteral }, { requiredKeys: [] }),
      ),
      escapedTraceKeys: fc.boolean(),
      seeds: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      dupBefore: rarely(value),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('other' as const), key: metaKey, node: notObject }) },
);

const paramsArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'absent' as const }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('object' as const),
      key: paramsKey,
      members: fc.array(fc.tuple(plainKey, value), { maxLength: 4 }),
      meta: metaArb,
      metaSeed: fc.nat(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('other' as const), key: paramsKey, node: notObject }) },
);

/** A JSON-RPC request or notification with members in random order and optional extra members. */
const rpcMessage: fc.Arbitrary<Node> = fc
  .record({
    notification: fc.boolean(),
    id: fc.oneof(fc.integer().map(String), numberLiteral.filter((s) => /^-?\d+$/.test(s)), stringLiteral),
    method: fc.oneof(fc.constantFrom('"tools/call"', '"ping"', '"notifications/progress"', '"tools/\\u0063all"'), stringLiteral),
    extra: fc.array(fc.tuple(plainKey, value), { maxLength: 3 }),
    params: paramsArb,
    seeds: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
    dupParamsBefore: rarely(value),
  })
  .map((m): Node => {
    const base: [string, Node][] = [['"jsonrpc"', raw('"2.0"')], ['"method"', raw(m.method)], ...m.extra];
    if (!m.notification) base.push(['"id"', raw(m.id)]);
    const members = shuffle(base, m.seeds);
    const p = m.params;
    if (p.kind === 'absent') return { t: 'obj', members };
    let node: Node;
    if (p.kind === 'other') node = p.node;
    else {
      const pm: [string, Node][] = [...p.members];
      const meta = p.meta;
      if (meta.kind === 'other') insertAt(pm, [meta.key, meta.node], p.metaSeed);
      else if (meta.kind === 'object') {
        const mm: [string, Node][] = [...meta.members];
        for (const k of TRACE_META_KEYS) {
          const v = meta.trace[k];
          if (v !== undefined) insertAt(mm, [traceKeyText(k, meta.escapedTraceKeys), raw(v)], meta.seeds[TRACE_META_KEYS.indexOf(k)]);
        }
        // A duplicate `_meta` earlier in params: JSON.parse (and spliceMeta) use the last one.
        if (meta.dupBefore !== null) pm.unshift([meta.key, meta.dupBefore]);
        insertAt(pm, [meta.key, { t: 'obj', members: mm }], p.metaSeed + (meta.dupBefore !== null ? 1 : 0));
      }
      node = { t: 'obj', members: pm };
    }
    if (m.dupParamsBefore !== null) members.unshift([p.key, m.dupParamsBefore]);
    insertAt(members, [p.key, node], m.seeds[0] + (m.dupParamsBefore !== null ? 1 : 0));
    return { t: 'obj', members };
  });

/** Mostly full messages; sometimes the smallest objects (no members before the insertion point). */
const message: fc.Arbitrary<Node> = fc.oneof(
  { weight: 12, arbitrary: rpcMessage },
  { weight: 1, arbitrary: fc.constantFrom<Node>({ t: 'obj', members: [] }, { t: 'obj', members: [['"params"', { t: 'obj', members: [] }]] }) },
  { weight: 1, arbitrary: fc.constant<Node>({ t: 'obj', members: [['"params"', { t: 'obj', members: [['"_meta"', { t: 'obj', members: [] }]] }]] }) },
);

// ---------------------------------------------------------------------------------------------
// The trace fields to inject. The span-id part holds the message's index, so each is unique.

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });

function fieldsArb(index: number): fc.Arbitrary<TraceFields> {
  return fc.record(
    {
      traceparent: fc.tuple(hex(32), fc.constantFrom('00', '01')).map(([t, f]) => `00-${t}-${(index + 1).toString(16).padStart(16, '0')}-${f}`),
      tracestate: fc.oneof(fc.constant('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'), fc.string({ unit: 'binary', maxLength: 10 })),
      baggage: fc.oneof(fc.constant('userId=alice,serverNode=DF%2028'), fc.string({ unit: 'grapheme', maxLength: 10 })),
    },
    { requiredKeys: ['traceparent'] },
  );
}

// ---------------------------------------------------------------------------------------------
// Oracles.

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Json, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Whether spliceMeta can put trace keys into this decoded message: params and _meta absent or objects. */
function injectable(v: unknown): boolean {
  if (!isObject(v)) return false;
  if (!has(v, 'params')) return true;
  if (!isObject(v.params)) return false;
  return !has(v.params, '_meta') || isObject(v.params._meta);
}

function hasTraceKeys(v: Json): boolean {
  const meta = isObject(v.params) ? v.params._meta : undefined;
  return isObject(meta) && TRACE_META_KEYS.some((k) => has(meta, k));
}

/**
 * `after` (decoded result) equals `before` (decoded input) except that params._meta holds the
 * trace keys of `fields` (others as they were), with params and _meta created if they were absent.
 */
function expectInjected(before: Json, after: Json, fields: TraceFields): void {
  expect(isObject(after.params)).toBe(true);
  const params = after.params as Json;
  expect(isObject(params._meta)).toBe(true);
  const meta = params._meta as Json;
  const sent = isObject(before.params) && isObject(before.params._meta) ? before.params._meta : {};
  for (const k of TRACE_META_KEYS) {
    // A key written now replaces the client's; one not written stays as the client sent it.
    if (fields[k] !== undefined) expect(meta[k]).toBe(fields[k]);
    else expect(meta[k]).toEqual(sent[k]);
  }
  for (const k of TRACE_META_KEYS) delete meta[k];
  if (!has(before, 'params')) {
    expect(Object.keys(params)).toEqual(['_meta']);
    expect(meta).toEqual({});
    delete after.params;
  } else if (!has(before.params as Json, '_meta')) {
    expect(meta).toEqual({});
    delete params._meta;
  } else {
    const oldMeta = (before.params as Json)._meta as Json;
    for (const k of TRACE_META_KEYS) delete oldMeta[k];
  }
  expect(after).toEqual(before);
}

/** The exact text spliceMeta inserts when no trace keys need replacing (see inject.ts editFor). */
function insertionFor(v: Json, fields: TraceFields): string {
  const f = TRACE_META_KEYS.filter((k) => fields[k] !== undefined).map((k) => `"${k}":${JSON.stringify(fields[k])}`).join(',');
  if (!has(v, 'params')) return `${Object.keys(v).length > 0 ? ',' : ''}"params":{"_meta":{${f}}}`;
  const params = v.params as Json;
  if (!has(params, '_meta')) return `"_meta":{${f}}${Object.keys(params).length > 0 ? ',' : ''}`;
  return `${f}${Object.keys(params._meta as Json).length > 0 ? ',' : ''}`;
}

/** When `result` is `original` with one contiguous insertion, returns `original`; else something else. */
function withoutInsertion(original: string, result: string): string {
  const extra = result.length - original.length;
  if (extra <= 0) return result;
  let p = 0;
  while (p < original.length && original[p] === result[p]) p++;
  return result.slice(0, p) + result.slice(p + extra);
}

/** Removes each expected insertion (in document order); the rest must be the input, byte for byte. */
function expectOnlyInsertions(input: string, result: string, insertions: readonly string[]): void {
  let rest = result;
  let from = 0;
  for (const s of insertions) {
    const at = rest.indexOf(s, from);
    expect(at).toBeGreaterThanOrEqual(0);
    rest = rest.slice(0, at) + rest.slice(at + s.length);
    from = at;
  }
  expect(rest).toBe(input);
}

// ---------------------------------------------------------------------------------------------

describe('spliceMeta never throws', () => {
  const fieldsList = fc.array(fc.option(fieldsArb(0), { nil: null }), { maxLength: 4 });

  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fieldsList, (s, fields) => {
        const out = splice(s, fields);
        expect(out === null || typeof out === 'string').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('on JSON-ish token soup (truncated and malformed messages)', () => {
    const token = fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '"params"', '"_meta"', '"traceparent"', '"id"', '1', 'null', ' ', '\n', '"x"', '"\\u005fmeta"');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), fieldsList, (parts, fields) => {
        expect(() => splice(parts.join(''), fields)).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });

  it('on prefixes of valid messages', () => {
    fc.assert(
      fc.property(message, style, fc.nat(), fieldsArb(0), (msg, st, cut, fields) => {
        const text = serialize(msg, st);
        const prefix = text.slice(0, cut % (text.length + 1));
        expect(() => splice(prefix, [fields])).not.toThrow();
      }),
      RUNS,
    );
  });

  it('on arbitrary JSON: a non-null result is valid JSON', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 5 }), fieldsList, (text, fields) => {
        const out = splice(text, fields);
        if (out !== null) expect(() => JSON.parse(out)).not.toThrow();
      }),
      RUNS,
    );
  });
});

describe('spliceMeta on generated JSON-RPC messages', () => {
  it('a single message: parses, carries the injected trace keys, keeps everything else', () => {
    fc.assert(
      fc.property(message, style, fieldsArb(0), (msg, st, fields) => {
        const input = serialize(msg, st);
        const before = JSON.parse(input) as Json;
        const out = splice(input, [fields]);
        if (!injectable(before)) return void expect(out).toBeNull();
        expect(out).not.toBeNull();
        const after = JSON.parse(out!) as Json;
        expect(((after.params as Json)._meta as Json).traceparent).toBe(fields.traceparent);
        if (!hasTraceKeys(before)) {
          // Nothing replaced: the result is the input with one insertion, every other byte kept.
          expect(withoutInsertion(input, out!)).toBe(input);
          expectOnlyInsertions(input, out!, [insertionFor(before, fields)]);
        }
        expectInjected(before, after, fields);
      }),
      { numRuns: 1500 },
    );
  });

  it('a null entry leaves the message alone', () => {
    fc.assert(
      fc.property(message, style, (msg, st) => {
        expect(splice(serialize(msg, st), [null])).toBeNull();
        expect(splice(serialize(msg, st), [])).toBeNull();
      }),
      { numRuns: 100 },
    );
  });

  it('a batch: each element with fields gets its own, the others stay as they were', () => {
    const element = fc.oneof(
      { weight: 6, arbitrary: message },
      { weight: 1, arbitrary: leaf },
      { weight: 1, arbitrary: fc.constant(raw('{"jsonrpc":"2.0","id":1,"result":{"content":[]}}')) },
    );
    const batch = fc
      .array(element, { maxLength: 6 })
      .chain((items) =>
        fc.tuple(
          fc.constant(items),
          fc.tuple(...items.map((_x, i) => fc.option(fieldsArb(i), { nil: null, freq: 4 }))),
        ),
      );
    fc.assert(
      fc.property(batch, style, ([items, fields], st) => {
        const input = serialize({ t: 'arr', items }, st);
        const before = JSON.parse(input) as unknown[];
        const out = splice(input, fields);
        const changes = before.map((v, i) => fields[i] !== null && injectable(v));
        if (!changes.some(Boolean)) return void expect(out).toBeNull();
        expect(out).not.toBeNull();
        const after = JSON.parse(out!) as unknown[];
        expect(after).toHaveLength(before.length);
        const insertions: string[] = [];
        let replaced = false;
        for (let i = 0; i < before.length; i++) {
          if (!changes[i]) {
            expect(after[i]).toEqual(before[i]);
            continue;
          }
          const b = before[i] as Json;
          const f = fields[i] as TraceFields;
          expect(((after[i] as Json).params as Json)._meta).toMatchObject({ traceparent: f.traceparent });
          if (hasTraceKeys(b)) replaced = true;
          else insertions.push(insertionFor(b, f));
          expectInjected(b, after[i] as Json, f);
        }
        if (!replaced) expectOnlyInsertions(input, out!, insertions);
      }),
      { numRuns: 800 },
    );
  });
});
