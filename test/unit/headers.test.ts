// Unit tests for src/proxy/headers.ts: what crosses the proxy in each direction.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { allowed, clientHeaders, header, isEventStream, isJson, upstreamHeaders } from '../../src/proxy/headers';

const UPSTREAM_HOST = 'mcp.internal:3001';

/** A stand-in for the client's request: upstreamHeaders reads only headers and the socket. */
function fakeReq(headers: IncomingHttpHeaders, remoteAddress: string | null = '10.0.0.7', tls = false): IncomingMessage {
  // null: a socket whose peer address is unknown (already closed).
  const socket: Record<string, unknown> = { remoteAddress: remoteAddress ?? undefined };
  if (tls) socket.encrypted = true;
  return { headers, socket } as unknown as IncomingMessage;
}

describe('upstreamHeaders', () => {
  const base: IncomingHttpHeaders = {
    host: 'proxy.example:8080',
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: 'Bearer abc',
    'mcp-session-id': 'sess-1',
    'mcp-protocol-version': '2025-06-18',
    'last-event-id': '42',
    cookie: 'a=1; b=2',
    'content-length': '123',
  };

  it('passes end-to-end headers as the client sent them', () => {
    const out = upstreamHeaders(fakeReq(base), UPSTREAM_HOST, true);
    for (const [k, v] of Object.entries(base)) expect(out[k]).toBe(v);
  });

  it('removes the hop-by-hop headers', () => {
    const out = upstreamHeaders(
      fakeReq({
        ...base,
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        trailer: 'x-checksum',
        'proxy-authorization': 'Basic xyz',
        'proxy-authenticate': 'Basic',
        'http2-settings': 'AAMAAABkAAQAAP__',
        te: 'gzip',
      }),
      UPSTREAM_HOST,
      true,
    );
    for (const h of ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'trailer', 'proxy-authorization', 'proxy-authenticate', 'http2-settings', 'te']) {
      expect(out).not.toHaveProperty(h);
    }
    expect(out.authorization).toBe('Bearer abc');
  });

  it('removes the headers the Connection header lists (any case, any spacing)', () => {
    const out = upstreamHeaders(
      fakeReq({ ...base, connection: 'close, X-Internal-Hop ,x-other', 'x-internal-hop': 'secret', 'x-other': '1', 'x-kept': 'yes' }),
      UPSTREAM_HOST,
      true,
    );
    expect(out).not.toHaveProperty('x-internal-hop');
    expect(out).not.toHaveProperty('x-other');
    expect(out).not.toHaveProperty('connection');
    expect(out['x-kept']).toBe('yes');
  });

  it('te: trailers is the one TE value forwarded', () => {
    expect(upstreamHeaders(fakeReq({ ...base, te: 'trailers' }), UPSTREAM_HOST, true).te).toBe('trailers');
    expect(upstreamHeaders(fakeReq({ ...base, te: 'deflate, Trailers' }), UPSTREAM_HOST, true).te).toBe('trailers');
    expect(upstreamHeaders(fakeReq({ ...base, te: 'gzip, deflate' }), UPSTREAM_HOST, true)).not.toHaveProperty('te');
  });

  it('preserves the client Host by default', () => {
    expect(upstreamHeaders(fakeReq(base), UPSTREAM_HOST, true).host).toBe('proxy.example:8080');
  });

  it('replaces Host with the upstream host when not preserving', () => {
    const out = upstreamHeaders(fakeReq(base), UPSTREAM_HOST, false);
    expect(out.host).toBe(UPSTREAM_HOST);
    expect(out['x-forwarded-host']).toBe('proxy.example:8080');
  });

  it('uses the upstream host when the client sent none', () => {
    const { host: _host, ...noHost } = base;
    const out = upstreamHeaders(fakeReq(noHost), UPSTREAM_HOST, true);
    expect(out.host).toBe(UPSTREAM_HOST);
    expect(out).not.toHaveProperty('x-forwarded-host');
  });

  it('x-forwarded-for: the peer address, appended to what the client sent', () => {
    expect(upstreamHeaders(fakeReq(base, '10.0.0.7'), UPSTREAM_HOST, true)['x-forwarded-for']).toBe('10.0.0.7');
    expect(upstreamHeaders(fakeReq({ ...base, 'x-forwarded-for': '203.0.113.5' }, '10.0.0.7'), UPSTREAM_HOST, true)['x-forwarded-for']).toBe(
      '203.0.113.5, 10.0.0.7',
    );
    expect(
      upstreamHeaders(fakeReq({ ...base, 'x-forwarded-for': ['203.0.113.5', '198.51.100.1'] } as IncomingHttpHeaders, '::1'), UPSTREAM_HOST, true)[
        'x-forwarded-for'
      ],
    ).toBe('203.0.113.5, 198.51.100.1, ::1');
  });

  it('x-forwarded-for passes unchanged when the peer address is unknown', () => {
    expect(upstreamHeaders(fakeReq({ ...base, 'x-forwarded-for': '203.0.113.5' }, null), UPSTREAM_HOST, true)['x-forwarded-for']).toBe(
      '203.0.113.5',
    );
    expect(upstreamHeaders(fakeReq(base, null), UPSTREAM_HOST, true)).not.toHaveProperty('x-forwarded-for');
  });

  it('x-forwarded-proto: http or https by the socket, the client value kept', () => {
    expect(upstreamHeaders(fakeReq(base), UPSTREAM_HOST, true)['x-forwarded-proto']).toBe('http');
    expect(upstreamHeaders(fakeReq(base, '10.0.0.7', true), UPSTREAM_HOST, true)['x-forwarded-proto']).toBe('https');
    expect(upstreamHeaders(fakeReq({ ...base, 'x-forwarded-proto': 'https' }), UPSTREAM_HOST, true)['x-forwarded-proto']).toBe('https');
  });

  it('x-forwarded-host: the client Host, unless already set', () => {
    expect(upstreamHeaders(fakeReq(base), UPSTREAM_HOST, true)['x-forwarded-host']).toBe('proxy.example:8080');
    expect(upstreamHeaders(fakeReq({ ...base, 'x-forwarded-host': 'edge.example' }), UPSTREAM_HOST, true)['x-forwarded-host']).toBe('edge.example');
  });

  it('does not modify the request headers', () => {
    const headers: IncomingHttpHeaders = { ...base, connection: 'x-a', 'x-a': '1', 'x-forwarded-for': '1.2.3.4' };
    const copy = JSON.parse(JSON.stringify(headers));
    upstreamHeaders(fakeReq(headers), UPSTREAM_HOST, false);
    expect(headers).toEqual(copy);
  });
});

describe('clientHeaders', () => {
  it('strips transfer-encoding, connection and keep-alive; keeps mcp-session-id and the rest', () => {
    const out = clientHeaders({
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'transfer-encoding': 'chunked',
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'mcp-session-id': 'sess-9',
      'content-length': '10',
    });
    expect(out).toEqual({
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'mcp-session-id': 'sess-9',
      'content-length': '10',
    });
  });

  it('keeps set-cookie arrays whole and in order', () => {
    const out = clientHeaders({ 'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly'] });
    expect(out['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
  });

  it('keeps CORS headers', () => {
    const cors = {
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'mcp-session-id, mcp-protocol-version',
      'access-control-allow-headers': 'content-type, mcp-session-id',
      'access-control-allow-methods': 'GET, POST, DELETE',
      vary: 'Origin',
    };
    expect(clientHeaders(cors)).toEqual(cors);
  });

  it('strips names the upstream Connection header lists', () => {
    const out = clientHeaders({ connection: 'X-Upstream-Only', 'x-upstream-only': '1', 'www-authenticate': 'Bearer' });
    expect(out).toEqual({ 'www-authenticate': 'Bearer' });
  });

  it('also strips upgrade, trailer and proxy-authenticate', () => {
    expect(clientHeaders({ upgrade: 'websocket', trailer: 'x', 'proxy-authenticate': 'Basic', te: 'trailers', etag: '"1"' })).toEqual({ etag: '"1"' });
  });

  it('skips undefined values', () => {
    expect(clientHeaders({ 'x-a': undefined, 'x-b': 'b' })).toEqual({ 'x-b': 'b' });
  });
});

describe('header', () => {
  it('the first value of a header, or undefined', () => {
    expect(header({ 'x-a': ['1', '2'] }, 'x-a')).toBe('1');
    expect(header({ 'x-a': 'v' }, 'x-a')).toBe('v');
    expect(header({}, 'x-a')).toBeUndefined();
  });
});

describe('isJson', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON',
    '  application/json',
    'application/vnd.api+json',
    'application/problem+json; charset=utf-8',
  ])('%j is JSON', (ct) => {
    expect(isJson(ct)).toBe(true);
  });

  it.each([undefined, '', 'text/json', 'text/event-stream', 'application/jsonp', 'application/json5', 'application/x-ndjson', 'text/plain; x=application/json'])(
    '%j is not JSON',
    (ct) => {
      expect(isJson(ct)).toBe(false);
    },
  );
});

describe('isEventStream', () => {
  it.each(['text/event-stream', 'text/event-stream; charset=utf-8', 'TEXT/Event-Stream', ' text/event-stream'])('%j is an event stream', (ct) => {
    expect(isEventStream(ct)).toBe(true);
  });

  it.each([undefined, '', 'application/json', 'text/event-streams', 'text/plain', 'application/text/event-stream'])('%j is not an event stream', (ct) => {
    expect(isEventStream(ct)).toBe(false);
  });
});

describe('allowed (Host / Origin allow-lists)', () => {
  it('passes everything without lists', () => {
    expect(allowed({ host: 'evil.example', origin: 'https://evil.example' }, null, null)).toBeNull();
  });
  it('checks Host with or without its port', () => {
    expect(allowed({ host: 'localhost:8080' }, ['localhost'], null)).toBeNull();
    expect(allowed({ host: 'LOCALHOST:8080' }, ['localhost:8080'], null)).toBeNull();
    expect(allowed({ host: '[::1]:8080' }, ['[::1]'], null)).toBeNull();
    expect(allowed({ host: 'evil.example:8080' }, ['localhost'], null)).toMatch(/Host "evil.example:8080" is not allowed/);
    expect(allowed({}, ['localhost'], null)).toMatch(/not allowed/);
  });
  it('checks Origin only when a browser sends one', () => {
    expect(allowed({ host: 'x' }, null, ['https://app.example'])).toBeNull();
    expect(allowed({ host: 'x', origin: 'https://app.example' }, null, ['https://app.example'])).toBeNull();
    expect(allowed({ host: 'x', origin: 'https://evil.example' }, null, ['https://app.example'])).toMatch(/Origin "https:\/\/evil.example" is not allowed/);
  });
});
