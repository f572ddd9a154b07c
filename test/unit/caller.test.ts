// The pure attribution builders: header rules, JWT claims, hashing, clientInfo.
import { CallerRules, NO_RULES, callerAttributes, claimAt, clientAttributes, hashValue, jwtPayload, parseRules } from '../../src/tracing/caller';
import { ConfigError } from '../../src/errors';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (payload: unknown) => `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}.c2lnbmF0dXJl`;

const rules = (over: Partial<CallerRules> = {}): CallerRules => ({
  headers: [{ from: 'x-tenant-id', attribute: 'tenant.id' }],
  claims: [{ from: 'sub', attribute: 'enduser.id' }, { from: 'org.id', attribute: 'org.id' }],
  hashed: new Set(),
  hashKey: null,
  ...over,
});

describe('parseRules', () => {
  test('reads a comma list of <from>=<attribute>, header names in lower case', () => {
    expect(parseRules('X-Tenant-Id=tenant.id, x-user-id=enduser.id', '--attribute-header', 'header')).toEqual([
      { from: 'x-tenant-id', attribute: 'tenant.id' },
      { from: 'x-user-id', attribute: 'enduser.id' },
    ]);
    expect(parseRules('org.id=tenant.id', '--attribute-jwt-claim', 'claim')).toEqual([{ from: 'org.id', attribute: 'tenant.id' }]);
  });

  test.each(['x-tenant-id', '=tenant.id', 'x-tenant-id=', 'bad header=tenant.id', 'x=te nant'])('rejects %j, naming the flag', (raw) => {
    expect(() => parseRules(raw, '--attribute-header', 'header')).toThrow(ConfigError);
    expect(() => parseRules(raw, '--attribute-header', 'header')).toThrow(/--attribute-header: invalid value .*e\.g\. x-tenant-id=tenant\.id/);
  });
});

test('parseRules refuses an attribute in a namespace the proxy writes (a header must not overwrite the method or the session)', () => {
  for (const a of ['mcp.method.name', 'mcp.client.name', 'gen_ai.tool.name', 'error.type', 'client.address', 'mcp_trace_proxy.sampling.kept']) {
    expect(() => parseRules(`x-h=${a}`, '--attribute-header', 'header')).toThrow(/namespace the proxy writes itself/);
  }
  expect(parseRules('x-h=tenant.id,x-u=enduser.id,x-r=app.region', '--attribute-header', 'header')).toHaveLength(3);
});

describe('jwtPayload', () => {
  test('decodes the payload of a bearer JWT', () => {
    expect(jwtPayload(`Bearer ${jwt({ sub: 'u1' })}`)).toEqual({ sub: 'u1' });
    expect(jwtPayload(`bearer ${jwt({ sub: 'u1' })}`)).toEqual({ sub: 'u1' });
  });

  test.each([
    undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer opaque-token', 'Bearer a.b', `Bearer ${b64({})}.!!!.x`,
    `Bearer ${b64({})}.${Buffer.from('not json').toString('base64url')}.x`, `Bearer ${b64({})}.${b64([1, 2])}.x`, `Bearer ${b64({})}.${b64('s')}.x`,
  ])('yields nothing, without throwing, for %j', (auth) => {
    expect(jwtPayload(auth)).toBeUndefined();
  });
});

test('claimAt: the literal key first, then the nested path; nothing from prototypes', () => {
  const p = { 'org.id': 'literal', org: { id: 'nested', deep: { x: 1 } }, https: { 'a.b': 2 } };
  expect(claimAt(p, 'org.id')).toBe('literal');
  expect(claimAt({ org: { id: 'nested' } }, 'org.id')).toBe('nested');
  expect(claimAt(p, 'org.deep.x')).toBe(1);
  expect(claimAt(p, 'org.missing')).toBeUndefined();
  expect(claimAt(p, 'constructor')).toBeUndefined();
  expect(claimAt(p, 'org.toString')).toBeUndefined();
});

describe('callerAttributes', () => {
  test('copies the header and the named claims, and nothing else of the token', () => {
    const token = jwt({ sub: 'user-7', org: { id: 'acme' }, email: 'a@example.com', secret: 's3' });
    const a = callerAttributes({ 'x-tenant-id': 'tenant-1', authorization: `Bearer ${token}` }, rules());
    expect(a).toEqual({ 'tenant.id': 'tenant-1', 'enduser.id': 'user-7', 'org.id': 'acme' });
    expect(JSON.stringify(a)).not.toContain(token.split('.')[1]);
  });

  test('a header wins over a claim for the same attribute; numbers and booleans become text; objects are skipped', () => {
    const r = rules({ claims: [{ from: 'tid', attribute: 'tenant.id' }, { from: 'n', attribute: 'n' }, { from: 'o', attribute: 'o' }] });
    expect(callerAttributes({ 'x-tenant-id': 'from-header', authorization: `Bearer ${jwt({ tid: 'from-claim', n: 42, o: { a: 1 } })}` }, r))
      .toEqual({ 'tenant.id': 'from-header', n: '42' });
    expect(callerAttributes({ authorization: `Bearer ${jwt({ tid: 'from-claim' })}` }, r)).toEqual({ 'tenant.id': 'from-claim' });
  });

  test('values are cut to 256 characters', () => {
    expect(callerAttributes({ 'x-tenant-id': 'x'.repeat(1000) }, rules())['tenant.id']).toBe('x'.repeat(256));
  });

  test('a token that is not a JWT yields only the header attributes', () => {
    expect(callerAttributes({ 'x-tenant-id': 't', authorization: 'Bearer not-a-jwt' }, rules())).toEqual({ 'tenant.id': 't' });
  });

  test('a hashed attribute is an HMAC-SHA256 of the whole value: the same for the same key, another for another key', () => {
    const hashed = rules({ hashed: new Set(['enduser.id']), hashKey: 'k1' });
    const auth = `Bearer ${jwt({ sub: 'user-7' })}`;
    const a = callerAttributes({ authorization: auth }, hashed)['enduser.id'] as string;
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(a).toBe(hashValue('k1', 'user-7'));
    expect(callerAttributes({ authorization: auth }, hashed)['enduser.id']).toBe(a);
    expect(callerAttributes({ authorization: auth }, { ...hashed, hashKey: 'k2' })['enduser.id']).not.toBe(a);
    // A known answer (HMAC-SHA256(k1, user-7), first 16 hex digits): a release that changed it would break dashboards.
    expect(hashValue('k1', 'user-7')).toBe('d3c0997df78d8015');
  });

  test('no rules: nothing, and no work', () => {
    expect(callerAttributes({ 'x-tenant-id': 't' }, NO_RULES)).toEqual({});
  });
});

test('clientAttributes: name and version from clientInfo, cut to 256; nothing when it names neither', () => {
  expect(clientAttributes({ name: 'claude-code', version: '2.1.0', title: 'x' }, NO_RULES)).toEqual({ 'mcp.client.name': 'claude-code', 'mcp.client.version': '2.1.0' });
  expect(clientAttributes({ name: 'n'.repeat(300) }, NO_RULES)).toEqual({ 'mcp.client.name': 'n'.repeat(256) });
  expect(clientAttributes({ name: 1 }, NO_RULES)).toBeUndefined();
  expect(clientAttributes('client', NO_RULES)).toBeUndefined();
  expect(clientAttributes(undefined, NO_RULES)).toBeUndefined();
});
