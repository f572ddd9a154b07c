// Unit tests for src/cli/config.ts parseConfig: flags, MCP_TRACE_PROXY_* variables, OTEL_* variables,
// and the errors a user sees for bad values.
import { Config, OPTIONS, configFrom, envName, parseConfig } from '../../src/cli/config';
import { ConfigError } from '../../src/errors';

const UP = 'http://127.0.0.1:3001/mcp';
const U = ['--upstream', UP];

function cfg(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Config {
  const r = parseConfig(argv, env, '1.2.3');
  if (r.kind !== 'config') throw new Error(`expected a config, got exit output: ${r.output}`);
  return r.config;
}

/** The ConfigError parseConfig throws (fails the test when it does not throw one). */
function configError(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(argv, env, '1.2.3');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('MTP_CONFIG');
    return e as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(argv)} ${JSON.stringify(env)}`);
}

describe('defaults', () => {
  it('only --upstream given', () => {
    const c = cfg(U);
    expect(c.upstream).toBeInstanceOf(URL);
    expect(c.upstream.href).toBe(UP);
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      adminHost: '127.0.0.1',
      adminPort: 9464,
      serviceName: 'mcp-trace-proxy',
      injectMeta: 'auto',
      metricMaxTools: 100,
      preserveHost: true,
      maxBodyBytes: 4 * 1024 * 1024,
      upstreamTimeoutMs: 30_000,
      pendingTimeoutMs: 300_000,
      shutdownGraceMs: 10_000,
      tracingEnabled: true,
      tracesExporters: ['console'],
      otlpTracesUrl: null,
      propagators: ['tracecontext', 'baggage'],
      sampler: 'parentbased_always_on',
      samplerArg: 1,
    });
  });

  it('ignores unrelated environment variables', () => {
    expect(cfg(U, { PATH: '/bin', HOME: '/root', PORT: '1234' }).port).toBe(8080);
  });

  it('the returned config is frozen', () => {
    const c = cfg(U);
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(c.port).toBe(8080);
  });
});

describe('every flag, from argv and from MCP_TRACE_PROXY_<FLAG>', () => {
  // [flag, raw value, config key, expected value]
  const cases: [string, string, keyof Config, unknown][] = [
    ['port', '9000', 'port', 9000],
    ['host', '0.0.0.0', 'host', '0.0.0.0'],
    ['admin-port', '9999', 'adminPort', 9999],
    ['admin-host', '10.0.0.1', 'adminHost', '10.0.0.1'],
    ['service-name', 'my-svc', 'serviceName', 'my-svc'],
    ['inject-meta', 'false', 'injectMeta', 'never'],
    ['inject-meta', 'always', 'injectMeta', 'always'],
    ['inject-meta', 'never', 'injectMeta', 'never'],
    ['metric-max-tools', '7', 'metricMaxTools', 7],
    ['preserve-host', 'false', 'preserveHost', false],
    ['max-body-bytes', '512kb', 'maxBodyBytes', 512 * 1024],
    ['upstream-timeout', '5s', 'upstreamTimeoutMs', 5000],
    ['pending-timeout', '2m', 'pendingTimeoutMs', 120_000],
    ['shutdown-grace', '500ms', 'shutdownGraceMs', 500],
  ];

  it('every flag tested here is a real option', () => {
    const flags = OPTIONS.map((o) => o.flag);
    for (const [flag] of cases) expect(flags).toContain(flag);
    expect(flags).toContain('upstream');
  });

  it('env names are MCP_TRACE_PROXY_ plus the upper-cased flag with underscores', () => {
    expect(envName('upstream-timeout')).toBe('MCP_TRACE_PROXY_UPSTREAM_TIMEOUT');
    expect(envName('port')).toBe('MCP_TRACE_PROXY_PORT');
  });

  it.each(cases)('--%s %s', (flag, raw, key, expected) => {
    expect(cfg([...U, `--${flag}`, raw])[key]).toEqual(expected);
    expect(cfg([...U, `--${flag}=${raw}`])[key]).toEqual(expected);
  });

  it.each(cases)('MCP_TRACE_PROXY_* for --%s %s', (flag, raw, key, expected) => {
    expect(cfg(U, { [envName(flag)]: raw })[key]).toEqual(expected);
  });

  it('--upstream from MCP_TRACE_PROXY_UPSTREAM', () => {
    expect(cfg([], { MCP_TRACE_PROXY_UPSTREAM: 'https://example.com/mcp' }).upstream.href).toBe('https://example.com/mcp');
  });

  it('env values are trimmed', () => {
    expect(cfg(U, { MCP_TRACE_PROXY_PORT: ' 9001 \n' }).port).toBe(9001);
  });

  it('an empty env value counts as unset', () => {
    expect(cfg(U, { MCP_TRACE_PROXY_PORT: '', MCP_TRACE_PROXY_HOST: '' })).toMatchObject({ port: 8080, host: '127.0.0.1' });
  });

  it('a flag beats its env variable', () => {
    const env = {
      MCP_TRACE_PROXY_UPSTREAM: 'http://env.example/mcp',
      MCP_TRACE_PROXY_PORT: '1111',
      MCP_TRACE_PROXY_INJECT_META: 'true',
      MCP_TRACE_PROXY_UPSTREAM_TIMEOUT: '1s',
    };
    const c = cfg([...U, '--port', '2222', '--no-inject-meta', '--upstream-timeout', '2s'], env);
    expect(c.upstream.href).toBe(UP);
    expect(c.port).toBe(2222);
    expect(c.injectMeta).toBe('never');
    expect(c.upstreamTimeoutMs).toBe(2000);
  });

  it('a flag with a bad value beats a good env value (and is reported as the flag)', () => {
    expect(configError([...U, '--port', 'x'], { MCP_TRACE_PROXY_PORT: '1' }).message).toMatch(/^--port: /);
  });

  it('a bad env value is not reported when the flag overrides it', () => {
    expect(cfg([...U, '--port', '1'], { MCP_TRACE_PROXY_PORT: 'nope' }).port).toBe(1);
  });

  it('the last of a repeated flag wins', () => {
    expect(cfg([...U, '--port', '1', '--port', '2']).port).toBe(2);
  });
});

describe('booleans', () => {
  it('--no-inject-meta (never) and --no-preserve-host', () => {
    const c = cfg([...U, '--no-inject-meta', '--no-preserve-host']);
    expect(c.injectMeta).toBe('never');
    expect(c.preserveHost).toBe(false);
  });

  it('--inject-meta alone is auto, also over an env false; the old booleans map to auto and never', () => {
    expect(cfg([...U, '--inject-meta'], { MCP_TRACE_PROXY_INJECT_META: 'false' }).injectMeta).toBe('auto');
    expect(cfg([...U, '--inject-meta', '--port', '1']).injectMeta).toBe('auto');
    expect(cfg(U, { MCP_TRACE_PROXY_INJECT_META: 'true' }).injectMeta).toBe('auto');
    expect(cfg(U, { MCP_TRACE_PROXY_INJECT_META: 'ALWAYS' }).injectMeta).toBe('always');
    expect(configError([...U, '--inject-meta=maybe']).message).toContain('--inject-meta: invalid value "maybe"; expected auto, always or never');
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['false', false],
    ['False', false],
    ['0', false],
  ])('env %s → %s', (raw, expected) => {
    expect(cfg(U, { MCP_TRACE_PROXY_PRESERVE_HOST: raw }).preserveHost).toBe(expected);
  });

  it('a bad env boolean names the variable and says true or false', () => {
    const e = configError(U, { MCP_TRACE_PROXY_PRESERVE_HOST: 'yes' });
    expect(e.message).toContain('MCP_TRACE_PROXY_PRESERVE_HOST');
    expect(e.message).toContain('"yes"');
    expect(e.message).toContain('true or false');
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['250', 250],
    ['1.5s', 1500],
    ['10 s', 10_000],
  ])('%s → %d ms', (raw, ms) => {
    expect(cfg([...U, '--upstream-timeout', raw]).upstreamTimeoutMs).toBe(ms);
  });

  it.each(['0', '0ms', '-5s', 'abc', '30sec', '5d', '1e3', '', '597h'])('rejects %j, naming the flag and the accepted forms', (raw) => {
    const e = configError([...U, `--upstream-timeout=${raw}`]);
    expect(e.message).toMatch(/^--upstream-timeout: invalid value /);
    expect(e.message).toContain(JSON.stringify(raw));
    expect(e.message).toContain('500ms, 30s or 2m');
  });

  it('the largest setTimeout delay is accepted, one more is not', () => {
    expect(cfg([...U, '--pending-timeout', String(2 ** 31 - 1)]).pendingTimeoutMs).toBe(2 ** 31 - 1);
    configError([...U, '--pending-timeout', String(2 ** 31)]);
  });

  it('a bad env duration names the env variable', () => {
    const e = configError(U, { MCP_TRACE_PROXY_SHUTDOWN_GRACE: '10 minutes' });
    expect(e.message).toMatch(/^MCP_TRACE_PROXY_SHUTDOWN_GRACE: invalid value "10 minutes"/);
    expect(e.message).toContain('500ms, 30s or 2m');
  });
});

describe('sizes', () => {
  it.each([
    ['512kb', 512 * 1024],
    ['4mb', 4 * 1024 * 1024],
    ['4MB', 4 * 1024 * 1024],
    ['1048576', 1048576],
    ['100b', 100],
    ['2 kib', 2048],
    ['1gb', 1024 ** 3],
  ])('%s → %d bytes', (raw, n) => {
    expect(cfg([...U, '--max-body-bytes', raw]).maxBodyBytes).toBe(n);
  });

  it.each(['0', '2gb', '1.5mb', '4 megabytes', 'x', '-1'])('rejects %j', (raw) => {
    const e = configError([...U, `--max-body-bytes=${raw}`]);
    expect(e.message).toMatch(/^--max-body-bytes: invalid value /);
    expect(e.message).toContain('512kb or 4mb');
  });

  it('a bad env size names the env variable', () => {
    expect(configError(U, { MCP_TRACE_PROXY_MAX_BODY_BYTES: 'lots' }).message).toMatch(/^MCP_TRACE_PROXY_MAX_BODY_BYTES: .*4mb/);
  });
});

describe('ports, urls and strings', () => {
  it('port 0 (any free port) and 65535 are accepted', () => {
    expect(cfg([...U, '--port', '0']).port).toBe(0);
    expect(cfg([...U, '--port', '65535']).port).toBe(65535);
  });

  it.each(['65536', '-1', '80.5', 'http', 'off', ' 80'])('--port %j is rejected', (raw) => {
    const e = configError([...U, `--port=${raw}`]);
    expect(e.message).toMatch(/^--port: invalid value /);
    expect(e.message).toContain('a port from 0 to 65535');
    expect(e.message).not.toContain('or off');
  });

  it('--admin-port off disables the admin listener', () => {
    expect(cfg([...U, '--admin-port', 'off']).adminPort).toBeNull();
    expect(cfg(U, { MCP_TRACE_PROXY_ADMIN_PORT: 'off' }).adminPort).toBeNull();
  });

  it('a bad --admin-port says "or off"', () => {
    expect(configError([...U, '--admin-port', 'none']).message).toMatch(/^--admin-port: .*0 to 65535, or off/);
    expect(configError(U, { MCP_TRACE_PROXY_ADMIN_PORT: '70000' }).message).toMatch(/^MCP_TRACE_PROXY_ADMIN_PORT: .*or off/);
  });

  it('--admin-host defaults to --host', () => {
    expect(cfg([...U, '--host', '0.0.0.0']).adminHost).toBe('0.0.0.0');
    expect(cfg([...U, '--host', '0.0.0.0', '--admin-host', '127.0.0.1']).adminHost).toBe('127.0.0.1');
  });

  it('https upstream is accepted', () => {
    expect(cfg(['--upstream', 'https://mcp.example.com:8443/mcp']).upstream.port).toBe('8443');
  });

  it.each([
    ['not a url', 'absolute http:// or https:// URL'],
    ['/mcp', 'absolute http:// or https:// URL'],
    ['ftp://example.com/mcp', 'http:// or https:// URL'],
    ['ws://example.com/mcp', 'http:// or https:// URL'],
  ])('--upstream %j is rejected', (raw, accepts) => {
    const e = configError(['--upstream', raw]);
    expect(e.message).toMatch(/^--upstream: invalid value /);
    expect(e.message).toContain(accepts);
  });

  it('a bad env upstream names the variable', () => {
    expect(configError([], { MCP_TRACE_PROXY_UPSTREAM: 'localhost' }).message).toMatch(/^MCP_TRACE_PROXY_UPSTREAM: invalid value "localhost"/);
  });

  it('an empty string flag is rejected', () => {
    const e = configError([...U, '--host', '']);
    expect(e.message).toMatch(/^--host: invalid value ""/);
    expect(e.message).toContain('non-empty string');
  });

  it('service name: flag, else OTEL_SERVICE_NAME, else mcp-trace-proxy', () => {
    expect(cfg(U, { OTEL_SERVICE_NAME: 'from-otel' }).serviceName).toBe('from-otel');
    expect(cfg([...U, '--service-name', 'from-flag'], { OTEL_SERVICE_NAME: 'from-otel' }).serviceName).toBe('from-flag');
    expect(cfg(U, { MCP_TRACE_PROXY_SERVICE_NAME: 'from-env', OTEL_SERVICE_NAME: 'from-otel' }).serviceName).toBe('from-env');
    expect(cfg(U, { OTEL_SERVICE_NAME: '  ' }).serviceName).toBe('mcp-trace-proxy');
  });
});

describe('command line errors and exits', () => {
  it('missing --upstream names the flag and the env variable', () => {
    const e = configError([]);
    expect(e.message).toContain('--upstream is required');
    expect(e.message).toContain('MCP_TRACE_PROXY_UPSTREAM');
  });

  it('an unknown flag is rejected', () => {
    expect(configError([...U, '--bogus-flag']).message).toContain('bogus-flag');
    expect(configError([...U, '--bogus-flag', 'x']).message).toContain('bogus-flag');
  });

  it('a positional argument is rejected', () => {
    expect(configError([...U, 'extra']).message).toContain('extra');
  });

  it('a flag that needs a value without one is rejected', () => {
    expect(configError([...U, '--port']).message).toContain('port');
  });

  it('--help returns the help text instead of a config', () => {
    const r = parseConfig(['--help'], {}, '1.2.3');
    expect(r.kind).toBe('exit');
    if (r.kind !== 'exit') return;
    expect(r.output).toContain('--upstream');
    expect(r.output).toContain('--inject-meta');
    expect(r.output).toContain('--metric-max-tools');
    expect(r.output).toContain('MCP_TRACE_PROXY_');
  });

  it('--help wins over a missing --upstream and bad env values', () => {
    expect(parseConfig(['--help'], { MCP_TRACE_PROXY_PORT: 'x' }).kind).toBe('exit');
  });

  it('--version returns the version', () => {
    const r = parseConfig(['--version'], {}, '1.2.3');
    expect(r).toEqual({ kind: 'exit', output: '1.2.3' });
  });
});

describe('OTEL_* variables', () => {
  it('OTEL_EXPORTER_OTLP_ENDPOINT: /v1/traces is appended and the exporter defaults to otlp', () => {
    const c = cfg(U, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    expect(c.otlpTracesUrl).toBe('http://collector:4318/v1/traces');
    expect(c.tracesExporters).toEqual(['otlp']);
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT with a path or a trailing slash', () => {
    expect(cfg(U, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c.example/otlp/' }).otlpTracesUrl).toBe('https://c.example/otlp/v1/traces');
  });

  it('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is and beats the base endpoint', () => {
    const c = cfg(U, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom/path',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318',
    });
    expect(c.otlpTracesUrl).toBe('http://collector:4318/custom/path');
    expect(c.tracesExporters).toEqual(['otlp']);
  });

  it.each(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'])('a bad %s names it', (name) => {
    for (const raw of ['localhost:4318', 'grpc://c:4317', 'nope']) {
      const e = configError(U, { [name]: raw });
      expect(e.message).toMatch(new RegExp(`^${name}: invalid value `));
      expect(e.message).toContain('http:// or https:// URL');
    }
  });

  it('OTEL_TRACES_EXPORTER: otlp, console, both, none; case-insensitive', () => {
    expect(cfg(U, { OTEL_TRACES_EXPORTER: 'otlp' }).tracesExporters).toEqual(['otlp']);
    expect(cfg(U, { OTEL_TRACES_EXPORTER: 'console', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).tracesExporters).toEqual(['console']);
    expect(cfg(U, { OTEL_TRACES_EXPORTER: ' otlp , console ' }).tracesExporters).toEqual(['otlp', 'console']);
    expect(cfg(U, { OTEL_TRACES_EXPORTER: 'OTLP' }).tracesExporters).toEqual(['otlp']);
    expect(cfg(U, { OTEL_TRACES_EXPORTER: 'none' }).tracesExporters).toEqual([]);
    expect(cfg(U, { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).tracesExporters).toEqual([]);
  });

  it('an unknown OTEL_TRACES_EXPORTER names the variable, the value and the choices', () => {
    const e = configError(U, { OTEL_TRACES_EXPORTER: 'otlp,jaeger' });
    expect(e.message).toMatch(/^OTEL_TRACES_EXPORTER: unknown value "jaeger"/);
    expect(e.message).toContain('otlp, console, zipkin, none');
  });

  it('OTEL_PROPAGATORS: default, lists, none, errors', () => {
    expect(cfg(U, { OTEL_PROPAGATORS: 'b3' }).propagators).toEqual(['b3']);
    expect(cfg(U, { OTEL_PROPAGATORS: 'tracecontext,baggage,b3multi' }).propagators).toEqual(['tracecontext', 'baggage', 'b3multi']);
    expect(cfg(U, { OTEL_PROPAGATORS: 'none' }).propagators).toEqual([]);
    expect(cfg(U, { OTEL_PROPAGATORS: '' }).propagators).toEqual(['tracecontext', 'baggage']);
    const e = configError(U, { OTEL_PROPAGATORS: 'tracecontext,xray' });
    expect(e.message).toMatch(/^OTEL_PROPAGATORS: unknown value "xray"/);
    expect(e.message).toContain('tracecontext, baggage, b3, b3multi, none');
  });

  it('OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG', () => {
    expect(cfg(U, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toMatchObject({ sampler: 'traceidratio', samplerArg: 0.25 });
    expect(cfg(U, { OTEL_TRACES_SAMPLER: 'ALWAYS_OFF' }).sampler).toBe('always_off');
    expect(cfg(U, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }).samplerArg).toBe(0);
    expect(cfg(U, { OTEL_TRACES_SAMPLER_ARG: '1' }).samplerArg).toBe(1);
  });

  it('an unknown OTEL_TRACES_SAMPLER names the variable and the choices', () => {
    const e = configError(U, { OTEL_TRACES_SAMPLER: 'sometimes' });
    expect(e.message).toMatch(/^OTEL_TRACES_SAMPLER: unknown value "sometimes"/);
    expect(e.message).toContain('parentbased_traceidratio');
  });

  it.each(['1.5', '-0.1', 'half', '50%'])('OTEL_TRACES_SAMPLER_ARG=%j is rejected', (raw) => {
    const e = configError(U, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: raw });
    expect(e.message).toMatch(/^OTEL_TRACES_SAMPLER_ARG: invalid value /);
    expect(e.message).toContain('from 0 to 1');
  });

  it('OTEL_SDK_DISABLED', () => {
    expect(cfg(U, { OTEL_SDK_DISABLED: 'true' }).tracingEnabled).toBe(false);
    expect(cfg(U, { OTEL_SDK_DISABLED: 'TRUE' }).tracingEnabled).toBe(false);
    expect(cfg(U, { OTEL_SDK_DISABLED: 'false' }).tracingEnabled).toBe(true);
    expect(cfg(U, { OTEL_SDK_DISABLED: '' }).tracingEnabled).toBe(true);
    const e = configError(U, { OTEL_SDK_DISABLED: 'yes' });
    expect(e.message).toMatch(/^OTEL_SDK_DISABLED: invalid value "yes"; expected true or false/);
  });

  it.each(['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'])('%s: grpc, http/protobuf and http/json; anything else names the variable', (name) => {
    for (const p of ['grpc', 'http/protobuf', 'http/json']) expect(cfg(U, { [name]: p }).tracesProtocol).toBe(p);
    const e = configError(U, { [name]: 'http' });
    expect(e.message).toMatch(new RegExp(`^${name}: unsupported value "http"; expected grpc, http/protobuf or http/json`));
  });

  it('OTLP compression: gzip or none', () => {
    expect(() => cfg(U, { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none' })).not.toThrow();
    expect(configError(U, { OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'zstd' }).message).toMatch(/^OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: .*gzip or none/);
  });

  it.each([
    'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_BSP_EXPORT_TIMEOUT',
    'OTEL_BSP_MAX_QUEUE_SIZE', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  ])('%s must be a non-negative integer', (name) => {
    expect(() => cfg(U, { [name]: '1000' })).not.toThrow();
    const e = configError(U, { [name]: '10s' });
    expect(e.message).toMatch(new RegExp(`^${name}: invalid value "10s"; expected a non-negative integer`));
  });
});

describe('configFrom', () => {
  it('fills defaults, applies overrides, and freezes', () => {
    const c = configFrom({ upstream: UP, port: 0, injectMeta: 'never' });
    expect(c.upstream.href).toBe(UP);
    expect(c.port).toBe(0);
    expect(c.injectMeta).toBe('never');
    expect(c.host).toBe('127.0.0.1');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads the given env for OTEL settings', () => {
    expect(configFrom({ upstream: new URL(UP) }, { OTEL_TRACES_EXPORTER: 'none' }).tracesExporters).toEqual([]);
  });
});

describe('boolean flag values', () => {
  const UP = ['--upstream', 'http://127.0.0.1:3001/mcp'];
  it('a bad boolean flag value is rejected, not read as false', () => {
    expect(() => parseConfig([...UP, '--preserve-host=maybe'], {})).toThrow(/--preserve-host: invalid value "maybe"; expected true or false/);
  });
  it('--preserve-host=1 means true, as MCP_TRACE_PROXY_PRESERVE_HOST=1 does', () => {
    const flag = parseConfig([...UP, '--preserve-host=1'], { MCP_TRACE_PROXY_PRESERVE_HOST: '0' });
    expect(flag.kind === 'config' && flag.config.preserveHost).toBe(true);
    const off = parseConfig([...UP, '--inject-meta=false'], {});
    expect(off.kind === 'config' && off.config.injectMeta).toBe('never');
  });
});

describe('--stdio', () => {
  it('takes the command after -- verbatim and opens no admin port unless asked', () => {
    const r = parseConfig(['--stdio', '--', 'node', 'server.js', '--port', '007'], {});
    expect(r.kind === 'config' && r.config.stdio).toEqual({ command: 'node', args: ['server.js', '--port', '007'] });
    expect(r.kind === 'config' && r.config.adminPort).toBeNull();
  });
  it('takes the command without -- too, from the first argument that is not an option or its value', () => {
    const r = parseConfig(['--log-level', 'debug', '--stdio', '--no-ui', '--max-body-bytes=1mb', '--admin-port', '0', 'node', 'server.js', '--port', '007'], {});
    expect(r.kind === 'config' && r.config.stdio).toEqual({ command: 'node', args: ['server.js', '--port', '007'] });
    expect(r.kind === 'config' && r.config.logLevel).toBe('debug');
    expect(r.kind === 'config' && r.config.adminPort).toBe(0);
    expect(r.kind === 'config' && r.config.port).toBe(8080); // the server's --port is the server's
    const env = parseConfig(['npx', '-y', 'server-everything'], { MCP_TRACE_PROXY_STDIO: 'true' });
    expect(env.kind === 'config' && env.config.stdio).toEqual({ command: 'npx', args: ['-y', 'server-everything'] });
  });
  it('needs a command, and excludes --upstream', () => {
    expect(() => parseConfig(['--stdio'], {})).toThrow(/--stdio needs the server command after --/);
    expect(() => parseConfig(['--upstream', 'http://x', '--stdio', '--', 'node'], {})).toThrow(/exclude each other/);
    expect(() => parseConfig(['--upstream', 'http://x', '--', 'node'], {})).toThrow(/needs --stdio/);
  });
});

describe('service name precedence', () => {
  const UP = ['--upstream', 'http://127.0.0.1:3001/mcp'];
  const name = (argv: string[], env: NodeJS.ProcessEnv) => {
    const r = parseConfig([...UP, ...argv], env);
    return r.kind === 'config' ? r.config.serviceName : null;
  };
  it('flag > MCP_TRACE_PROXY_SERVICE_NAME > OTEL_SERVICE_NAME > OTEL_RESOURCE_ATTRIBUTES > default', () => {
    const env = { MCP_TRACE_PROXY_SERVICE_NAME: 'b', OTEL_SERVICE_NAME: 'c', OTEL_RESOURCE_ATTRIBUTES: 'team=x,service.name=d%20e' };
    expect(name(['--service-name', 'a'], env)).toBe('a');
    expect(name([], env)).toBe('b');
    expect(name([], { ...env, MCP_TRACE_PROXY_SERVICE_NAME: undefined })).toBe('c');
    expect(name([], { OTEL_RESOURCE_ATTRIBUTES: 'team=x,service.name=d%20e' })).toBe('d e');
    expect(name([], {})).toBe('mcp-trace-proxy');
  });
});
