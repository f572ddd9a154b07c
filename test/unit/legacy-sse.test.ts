import { firstEvent, legacySessionId } from '../../src/proxy/legacy-sse';

const UP = 'http://127.0.0.1:3001';
const PUB = 'http://proxy.local:8080';

describe('legacySessionId', () => {
  it('reads the sessionId query parameter', () => {
    expect(legacySessionId('/message?sessionId=abc-1')).toBe('abc-1');
    expect(legacySessionId('http://h/messages?x=1&sessionId=s%20p')).toBe('s p');
    expect(legacySessionId('/mcp')).toBeUndefined();
  });
});

describe('firstEvent', () => {
  it('waits until the first event is complete', () => {
    expect(firstEvent(Buffer.from('event: endpoint\ndata: /message?sessionId=1\n'), UP, PUB)).toBeNull();
    expect(firstEvent(Buffer.from('event: endpoint\r\ndata: /m\r'), UP, PUB)).toBeNull();
  });

  it('keeps a relative endpoint byte for byte and names its session', () => {
    const held = Buffer.from('event: endpoint\ndata: /message?sessionId=abc\n\nevent: message\ndata: {}');
    const r = firstEvent(held, UP, PUB)!;
    expect(r.bytes.equals(held)).toBe(true);
    expect(r.sessionId).toBe('abc');
  });

  it('rewrites an absolute endpoint at the upstream to the proxy, keeping what follows', () => {
    const held = Buffer.from(`event: endpoint\r\ndata: ${UP}/messages?sessionId=xyz\r\n\r\n: next`);
    const r = firstEvent(held, UP, PUB)!;
    expect(r.bytes.toString()).toBe(`event: endpoint\r\ndata: ${PUB}/messages?sessionId=xyz\r\n\r\n: next`);
    expect(r.sessionId).toBe('xyz');
  });

  it('leaves an absolute endpoint on another origin, and other first events, alone', () => {
    const other = Buffer.from('event: endpoint\ndata: https://elsewhere.example/m?sessionId=q\n\n');
    expect(firstEvent(other, UP, PUB)!.bytes.equals(other)).toBe(true);
    const priming = Buffer.from('id: 1\ndata: \n\n');
    expect(firstEvent(priming, UP, PUB)).toEqual({ bytes: priming });
  });
});
