// Property-based tests for src/jsonrpc/parse.ts parseBody: it never throws, whatever the text,
// and a JSON-RPC message keeps its id with the type it had on the wire.
import fc from 'fast-check';
import { RpcMessage, parseBody } from '../../src/jsonrpc/parse';

const RUNS = { numRuns: 500 };

/** Any value as JSON.parse would produce it (keys such as "__proto__" included). */
const jsonText = fc.json({ maxDepth: 6 });

/** A value for an `id` member: the valid kinds and many invalid ones. */
const anyId = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
  fc.constantFrom('1', '0', '', '-1', '1e3', ' 1'),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

/** A JSON-RPC-shaped object: each member present or absent, with a valid or invalid value. */
const rpcShaped = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.string({ maxLength: 4 }), fc.integer()),
    id: anyId,
    method: fc.oneof(fc.constantFrom('tools/call', 'ping', 'notifications/initialized', ''), fc.string(), fc.integer(), fc.constant(null)),
    params: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })),
    result: fc.jsonValue({ maxDepth: 2 }),
    error: fc.oneof(
      fc.record({ code: fc.integer(), message: fc.string() }, { requiredKeys: [] }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  },
  { requiredKeys: [] },
);

type Shaped = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): boolean => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** The classification JSON-RPC 2.0 asks for, written independently of the implementation. */
function expectedKind(v: unknown): RpcMessage['kind'] | null {
  if (!isObject(v) || v.jsonrpc !== '2.0') return null;
  if (typeof v.method === 'string') {
    if (isId(v.id)) return 'request';
    if (v.id === undefined) return 'notification';
    return null;
  }
  return 'result' in v || 'error' in v ? 'response' : null;
}

/** Checks one parsed message against the decoded value it came from. */
function checkMessage(m: RpcMessage, decoded: Shaped): void {
  expect(m.kind).toBe(expectedKind(decoded));
  if (m.kind === 'request') {
    // The id keeps its type: "1" stays a string and 1 a number, and they key differently.
    expect(typeof m.id).toBe(typeof decoded.id);
    expect(m.id).toBe(decoded.id);
    expect(m.idText).toBe(typeof decoded.id === 'number' ? String(decoded.id) : JSON.stringify(decoded.id));
    expect(m.method).toBe(decoded.method);
  } else if (m.kind === 'notification') {
    expect(m.id).toBeUndefined();
    expect(m.method).toBe(decoded.method);
  } else if (isId(decoded.id)) {
    expect(typeof m.id).toBe(typeof decoded.id);
    expect(m.id).toBe(decoded.id);
  } else {
    expect(m.id).toBeUndefined();
  }
  expect(m.params === undefined || isObject(m.params)).toBe(true); // only object params are kept
  if (isObject(decoded.params) && m.kind !== 'response') expect(m.params).toEqual(decoded.params);
}

describe('parseBody never throws', () => {
  it('on arbitrary strings (UTF-16 code units, lone surrogates included)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const p = parseBody(s);
        expect(p === null || p.messages.length > 0).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('on strings built from JSON-ish tokens (mostly near-misses of valid JSON)', () => {
    const token = fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '"id"', '"method"', '"params"', '1', '-', '1e309', 'null', 'true', ' ', '\n', '"x"');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (parts) => {
        expect(() => parseBody(parts.join(''))).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary JSON, and classifies what it returns exactly as JSON-RPC 2.0 says', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const p = parseBody(text);
        const v: unknown = JSON.parse(text);
        if (p === null) {
          const items = Array.isArray(v) ? v : [v];
          expect(items.every((x) => expectedKind(x) === null)).toBe(true);
          return;
        }
        expect(p.batch).toBe(Array.isArray(v));
        for (const m of p.messages) checkMessage(m, (Array.isArray(v) ? v[m.index] : v) as Shaped);
      }),
      RUNS,
    );
  });
});

describe('parseBody on JSON-RPC-shaped messages', () => {
  it('a single message: classified correctly, the id keeps its type', () => {
    fc.assert(
      fc.property(rpcShaped, fc.constantFrom(undefined, 0, 2, '\t'), (obj, indent) => {
        const text = JSON.stringify(obj, null, indent);
        const decoded = JSON.parse(text) as Shaped;
        const p = parseBody(text);
        const kind = expectedKind(decoded);
        if (kind === null) return void expect(p).toBeNull();
        expect(p).not.toBeNull();
        expect(p!.batch).toBe(false);
        expect(p!.messages).toHaveLength(1);
        expect(p!.messages[0].index).toBe(0);
        checkMessage(p!.messages[0], decoded);
      }),
      RUNS,
    );
  });

  it('a batch: one message per valid element, at its index, in order', () => {
    const element = fc.oneof({ weight: 4, arbitrary: rpcShaped }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
    fc.assert(
      fc.property(fc.array(element, { maxLength: 12 }), (items) => {
        const text = JSON.stringify(items);
        const decoded = JSON.parse(text) as unknown[];
        const p = parseBody(text);
        const valid = decoded.map((x, i) => [x, i] as const).filter(([x]) => expectedKind(x) !== null);
        if (valid.length === 0) return void expect(p).toBeNull();
        expect(p!.batch).toBe(true);
        expect(p!.messages.map((m) => m.index)).toEqual(valid.map(([, i]) => i));
        for (const m of p!.messages) checkMessage(m, decoded[m.index] as Shaped);
      }),
      RUNS,
    );
  });

  it('numeric and string ids that look alike stay distinct (1 vs "1", big integers stay numbers)', () => {
    const idLiteral = fc.oneof(
      fc.integer().map((n) => ({ raw: String(n), type: 'number' })),
      fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((n) => ({ raw: n.toString(), type: 'number' })),
      fc.integer().map((n) => ({ raw: JSON.stringify(String(n)), type: 'string' })),
      fc.string().map((s) => ({ raw: JSON.stringify(s), type: 'string' })),
    );
    fc.assert(
      fc.property(idLiteral, fc.boolean(), ({ raw, type }, isRequest) => {
        const text = isRequest ? `{"jsonrpc":"2.0","id":${raw},"method":"ping"}` : `{"jsonrpc":"2.0","id":${raw},"result":{}}`;
        const m = parseBody(text)!.messages[0];
        expect(m.kind).toBe(isRequest ? 'request' : 'response');
        expect(typeof m.id).toBe(type);
        expect(m.id).toBe(JSON.parse(raw));
      }),
      RUNS,
    );
  });
});
