// The attribution and keep options: repeatable flags, the environment's comma lists, cross-checks.
import { Config, parseConfig } from '../../src/cli/config';
import { ConfigError } from '../../src/errors';

const U = ['--upstream', 'http://127.0.0.1:3001/mcp'];

function cfg(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Config {
  const r = parseConfig([...U, ...argv], env);
  if (r.kind !== 'config') throw new Error('expected a config');
  return r.config;
}

function error(argv: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig([...U, ...argv], env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

test('defaults: no attribution, keep-errors on, keep-slow off, 100 label values', () => {
  expect(cfg([])).toMatchObject({
    attributeHeaders: [], attributeJwtClaims: [], hashAttributes: [], hashKey: null, metricAttributes: [],
    metricMaxValues: 100, keepErrors: true, keepSlowMs: null,
  });
  expect(cfg(['--no-keep-errors', '--keep-slow', '1s']).keepErrors).toBe(false);
  expect(cfg(['--keep-slow', '1.5s']).keepSlowMs).toBe(1500);
  expect(cfg([], { MCP_TRACE_PROXY_KEEP_ERRORS: 'false', MCP_TRACE_PROXY_KEEP_SLOW: '250ms' })).toMatchObject({ keepErrors: false, keepSlowMs: 250 });
});

test('--attribute-header and --attribute-jwt-claim repeat, in both spellings; a flag beats the variable', () => {
  const c = cfg(['--attribute-header', 'x-tenant-id=tenant.id', '--attribute-header=X-User-Id=enduser.id', '--attribute-jwt-claim', 'sub=enduser.id', '--attribute-jwt-claim', 'org.id=org.id']);
  expect(c.attributeHeaders).toEqual([{ from: 'x-tenant-id', attribute: 'tenant.id' }, { from: 'x-user-id', attribute: 'enduser.id' }]);
  expect(c.attributeJwtClaims).toEqual([{ from: 'sub', attribute: 'enduser.id' }, { from: 'org.id', attribute: 'org.id' }]);
  const env = { MCP_TRACE_PROXY_ATTRIBUTE_HEADER: 'x-tenant-id=tenant.id,x-user-id=enduser.id' };
  expect(cfg([], env).attributeHeaders).toHaveLength(2);
  expect(cfg(['--attribute-header', 'x-org=org.id'], env).attributeHeaders).toEqual([{ from: 'x-org', attribute: 'org.id' }]);
});

test('--hash-attribute needs MCP_TRACE_PROXY_HASH_KEY, and names it', () => {
  const args = ['--attribute-jwt-claim', 'sub=enduser.id', '--hash-attribute', 'enduser.id'];
  expect(error(args)).toMatch(/--hash-attribute needs a key: set MCP_TRACE_PROXY_HASH_KEY/);
  expect(cfg(args, { MCP_TRACE_PROXY_HASH_KEY: 'k' })).toMatchObject({ hashAttributes: ['enduser.id'], hashKey: 'k' });
});

test('--hash-attribute and --metric-attribute must name an attribute that a rule or clientInfo produces', () => {
  expect(error(['--metric-attribute', 'tenant.id'])).toMatch(/--metric-attribute tenant\.id: no --attribute-header or --attribute-jwt-claim produces it/);
  expect(error(['--hash-attribute', 'tenant.id'], { MCP_TRACE_PROXY_HASH_KEY: 'k' })).toMatch(/--hash-attribute tenant\.id/);
  expect(cfg(['--metric-attribute', 'mcp.client.name']).metricAttributes).toEqual(['mcp.client.name']);
  expect(cfg(['--attribute-header', 'x-tenant-id=tenant.id', '--metric-attribute', 'tenant.id', '--metric-attribute', 'mcp.client.name', '--metric-max-values', '5']))
    .toMatchObject({ metricAttributes: ['tenant.id', 'mcp.client.name'], metricMaxValues: 5 });
});

test('bad values name the flag or variable', () => {
  expect(error(['--attribute-header', 'x-tenant-id'])).toMatch(/^--attribute-header: invalid value "x-tenant-id"/);
  expect(error([], { MCP_TRACE_PROXY_ATTRIBUTE_JWT_CLAIM: 'sub' })).toMatch(/^--attribute-jwt-claim: invalid value "sub"; expected <claim>=<attribute>/);
  expect(error(['--attribute-header'])).toMatch(/--attribute-header needs a value/);
  expect(error(['--keep-slow', 'soon'])).toMatch(/^--keep-slow: invalid value "soon"/);
  expect(error(['--metric-attribute', 'bad name'])).toMatch(/^--metric-attribute: invalid value "bad name"/);
});
