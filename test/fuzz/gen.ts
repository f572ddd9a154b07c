// Generated traffic for the differential harness: JSON-RPC text written by hand (not by
// JSON.stringify), so it carries what real clients send: odd whitespace and key order, escapes,
// astral characters and lone surrogates, ids past 2^53, `_meta` absent, present, null or odd.
import fc from 'fast-check';

export type Encoding = 'identity' | 'gzip' | 'deflate' | 'br';

/** One client request and the upstream's answer to it. */
export interface Step {
  /** The raw client text: one message or a batch. */
  readonly text: string;
  /** The upstream's answer frames (empty for notifications only). */
  readonly answers: readonly string[];
  /** Per request in `text`: a tag the span carries (tool name, prompt name or URI), and the error.type its answer implies. */
  readonly expect: readonly { tag: string; errorType: string | null }[];
}

export interface ClientPlan {
  readonly steps: readonly Step[];
}

export interface Case {
  readonly clients: readonly ClientPlan[];
  /** How each written body or stream is cut into writes: fractions of its length. */
  readonly cuts: readonly number[];
  readonly responseEncoding: Encoding;
  readonly requestEncoding: Encoding;
  /** The clients start with an initialize the upstream answers with a session id. */
  readonly sessions: boolean;
  /** A hostile client sends cancellations for the others' ids under forged session ids. */
  readonly attack: boolean;
}

const ws = fc.constantFrom('', '', '', ' ', '\n', '\t', ' \r\n ');
const piece = fc.oneof(
  fc.constantFrom('a', 'é', '中', '😀', '\\"', '\\\\', '\\n', '\\u00e9', '\\ud83d\\ude00', '\\ud800', '\\udfff', '/', '\\/', ' ', '{', ']', ':', ','),
  fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s).slice(1, -1)),
);
/** A JSON string literal as raw text. */
export const rawString = fc.array(piece, { maxLength: 12 }).map((parts) => `"${parts.join('')}"`);
const rawNumber = fc.oneof(fc.integer().map(String), fc.constantFrom('0', '-1', '1.5e3', '12345678901234567890', '-0.25'));
const rawScalar = fc.oneof(rawString, rawNumber, fc.constantFrom('true', 'false', 'null'));

const rawValue: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    rawScalar,
    fc.tuple(fc.array(fc.tuple(rawString, tie('v'), ws), { maxLength: 4 }), ws).map(([ms, w]) => `{${w}${ms.map(([k, v, w2]) => `${k}${w2}:${v}`).join(',')}}`),
    fc.array(tie('v'), { maxLength: 4 }).map((xs) => `[${xs.join(', ')}]`),
  ),
})).v;

export const rawId = fc.oneof(fc.integer({ min: -1000, max: 1000 }).map(String), fc.constantFrom('9007199254740992', '9007199254740993', '-7', '0'), rawString);

const TRACE = '"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","tracestate":"v=1","baggage":"k=v"';
const meta = fc.constantFrom<string | null>(null, '{}', '{"progressToken":"p1"}', `{${TRACE},"x":1}`, '{ "x" : [1] }', 'null', '"odd"', '[1]', '7');

/** A padding of `size` bytes or so, of many kinds of character. */
function pad(size: number, salt: string): string {
  if (size === 0) return '""';
  const unit = `${salt}é😀\\n\\"x`;
  return `"${unit.repeat(Math.max(1, Math.ceil(size / unit.length)))}"`;
}

const sizeClass = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 0, max: 2048 }) },
  { weight: 3, arbitrary: fc.integer({ min: 2048, max: 300_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000_000, max: 8_000_000 }) },
);

/** Members of a message in some order, with whitespace around each. */
function object(members: [string, string][], order: number[], w: string[]): string {
  const sorted = members.map((m, i) => [m, order[i % order.length] ?? i] as const).sort((a, b) => a[1] - b[1]).map(([m]) => m);
  return `{${w[0]}${sorted.map(([k, v], i) => `"${k}"${w[(i + 1) % w.length]}:${v}`).join(`,${w[1]}`)}${w[2]}}`;
}

const msgArb = fc.record({
  isNote: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
  id: rawId,
  kind: fc.integer({ min: 0, max: 2 }),
  meta,
  extra: rawValue,
  size: sizeClass,
  order: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 4, maxLength: 4 }),
  w: fc.array(ws, { minLength: 3, maxLength: 3 }),
  outcome: fc.integer({ min: 0, max: 3 }),
  answerText: rawString,
});

type MsgSpec = typeof msgArb extends fc.Arbitrary<infer T> ? T : never;

interface Msg { text: string; answer?: string; tag?: string; errorType?: string | null }

function message(client: number, n: number, id: string | null, m: MsgSpec): Msg {
  const { kind, meta: metaText, extra, size, order, w, outcome, answerText } = m;
  const tag = `c${client}-${n}`;
  if (id === null) {
    const params = metaText === null ? `{"progress":1,"x":${extra}}` : `{"_meta":${metaText},"x":${extra}}`;
    return { text: object([['jsonrpc', '"2.0"'], ['method', '"notifications/progress"'], ['params', params]], order, w) };
  }
  const [method, target] = kind === 0 ? ['tools/call', `"name":"${tag}"`] : kind === 1 ? ['prompts/get', `"name":"${tag}"`] : ['resources/read', `"uri":"${tag}"`];
  const params = [target, `"arguments":{"pad":${pad(size, tag)},"x":${extra}}`];
  if (metaText !== null) params.unshift(`"_meta":${metaText}`);
  const text = object([['jsonrpc', '"2.0"'], ['id', id], ['method', `"${method}"`], ['params', `{${params.join(',')}}`]], order, w);
  const err = outcome === 0 ? '-32602' : outcome === 1 && method === 'tools/call' ? 'tool_error' : null;
  const answer = err === '-32602'
    ? `{"jsonrpc":"2.0","id":${id},"error":{"code":-32602,"message":"bad ${tag}"}}`
    : `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":${answerText}}]${err ? ',"isError":true' : ''}}}`;
  return { text, answer, tag, errorType: err };
}



/** A client's steps: single messages and batches, ids unique within the client (others reuse them). */
function plan(client: number, batch: boolean, msgs: MsgSpec[]): ClientPlan {
  // Unique as the peers read them, not as text: "\/" and "/" are the same id.
  const seen = new Set<string>();
  const key = (raw: string) => (raw.startsWith('"') ? `s${JSON.parse(raw) as string}` : `n${raw}`);
  const built = msgs.map((m, n) => {
    let id = m.isNote ? null : m.id;
    for (let k = 0; id !== null && seen.has(key(id)); k++) id = m.id.startsWith('"') ? `"${n}-${k}"` : String(n + 5000 + 1000 * k);
    if (id !== null) seen.add(key(id));
    return message(client, n, id, m);
  });
  const steps: Step[] = [];
  for (let i = 0; i < built.length;) {
    const take = batch && i + 1 < built.length && built[i].text.length + built[i + 1].text.length < 100_000 ? 2 : 1;
    const group = built.slice(i, i + take);
    i += take;
    const answers = group.filter((m) => m.answer).map((m) => m.answer as string);
    steps.push({
      text: take > 1 ? `[${group.map((m) => m.text).join(',')}]` : group[0].text,
      answers: take > 1 && answers.length > 0 ? [`[${answers.join(',')}]`] : answers,
      expect: group.filter((m) => m.tag).map((m) => ({ tag: m.tag as string, errorType: m.errorType ?? null })),
    });
  }
  return { steps };
}

export const caseArb = (opts: { maxClients: number; maxSteps: number; batches: boolean }): fc.Arbitrary<Case> => fc.record({
  clients: fc.array(fc.tuple(fc.boolean(), fc.array(msgArb, { minLength: 1, maxLength: opts.maxSteps })), { minLength: 1, maxLength: opts.maxClients })
    .map((cs) => cs.map(([b, ms], k) => plan(k, opts.batches && b, ms))),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }).map((xs) => [...xs].sort()),
  responseEncoding: fc.constantFrom<Encoding>('identity', 'identity', 'gzip', 'deflate', 'br'),
  requestEncoding: fc.constantFrom<Encoding>('identity', 'identity', 'identity', 'gzip'),
  sessions: fc.boolean(),
  attack: fc.boolean(),
});

/** Cuts `buf` at the given fractions of its length (any byte: inside a UTF-8 sequence too). */
export function cut(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * buf.length)))].filter((x) => x > 0 && x < buf.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const x of [...at, buf.length]) {
    out.push(buf.subarray(prev, x));
    prev = x;
  }
  return out.filter((b) => b.length > 0);
}
