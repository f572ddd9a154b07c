import { DEFAULT_REDACT_KEYS, maskString, normalizeKey, redactedJson } from '../../src/tracing/redact';

const keys = [...DEFAULT_REDACT_KEYS, normalizeKey('x-tenant')];

describe('redactedJson', () => {
  it('masks values under keys that name secrets, whatever their case and separators', () => {
    const out = JSON.parse(redactedJson({ city: 'Paris', API_KEY: 'k1', accessToken: 't', nested: [{ Password: 'p', ok: 1 }], 'X-Tenant': 'acme' }, keys, 1000));
    expect(out).toEqual({ city: 'Paris', API_KEY: '[REDACTED]', accessToken: '[REDACTED]', nested: [{ Password: '[REDACTED]', ok: 1 }], 'X-Tenant': '[REDACTED]' });
  });

  it('masks secret-looking values anywhere: bearer tokens, JWTs, API keys, e-mail addresses', () => {
    const text = redactedJson({ note: 'call with Bearer abc.def-123 as ada@example.com', jwt: 'eyJhbGciOi.eyJzdWIiOiIx.sig_part', key: 'sk-abcdefghijklmnop1234', gh: 'ghp_abcdefghijklmnopqrstuvwxyz' }, keys, 1000);
    expect(text).not.toMatch(/abc\.def-123|ada@example\.com|eyJhbGciOi|sk-abcdefghijklmnop1234|ghp_abcdef/);
    expect(JSON.parse(text).note).toBe('call with Bearer [REDACTED] as [EMAIL]');
  });

  it('truncates to the limit and bounds nesting', () => {
    expect(redactedJson({ s: 'x'.repeat(100) }, keys, 20)).toBe(`${JSON.stringify({ s: 'x'.repeat(100) }).slice(0, 20)}…[truncated]`);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    expect(redactedJson(deep, keys, 100_000)).toContain('[TOO DEEP]');
  });

  it('leaves ordinary text alone', () => {
    expect(maskString('get the weather in Paris')).toBe('get the weather in Paris');
  });
});

describe('every pattern is linear in its input', () => {
  // Quadratic patterns take hours on these (the old e-mail one took 20 s on 80 KB); linear ones, milliseconds.
  const huge = 2_000_000;
  it.each([
    ['one long word', 'a'.repeat(huge)],
    ['dots and no @', 'a.'.repeat(huge / 2)],
    ['many @', 'a@'.repeat(huge / 2)],
    ['a domain that never ends in letters', `x@${'a.'.repeat(huge / 2)}1`],
    ['key prefixes run together', 'sk-'.repeat(huge / 3)],
    ['JWT-looking runs', 'eyJaaaaa.'.repeat(huge / 9)],
  ])('%s (2 MB) is masked in one pass', (_name, s) => {
    expect(maskString(s).length).toBeGreaterThan(0);
  });

  it('still finds the e-mail address in a long text, and a captured string is cut before it is matched', () => {
    expect(maskString(`${'x '.repeat(50_000)}write to jo.doe+tag@mail.example.com today`)).toMatch(/write to \[EMAIL\] today$/);
    const out = redactedJson({ s: `${'y'.repeat(5000)} ada@example.com` }, keys, 100);
    expect(out).not.toContain('ada@');
  });
});
