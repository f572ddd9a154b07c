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
