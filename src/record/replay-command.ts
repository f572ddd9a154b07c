// `mcp-trace-proxy replay FILE …`: its own flags, parsed here (yargs, strict), checked once, then
// one of three modes: a mock on --port or on --stdio, or a replay --against a live server (URL or
// --stdio -- cmd). Bad flags and bad cassettes exit 2 with a message naming them.
import yargs from 'yargs';
import { IgnorePath, parseIgnore } from './diff';
import { EXIT_BAD_INPUT, RecordError } from './errors';
import { Cassette, readCassette } from './format';
import { httpPeer, stdioPeer } from './live-peers';
import { replayAgainst } from './against';
import { serveHttp, serveStdio } from './mock';
import { RecordedServer } from './recorded-server';

export type ReplayMode =
  | { readonly kind: 'mock-http'; readonly host: string; readonly port: number }
  | { readonly kind: 'mock-stdio' }
  | { readonly kind: 'against-http'; readonly url: URL }
  | { readonly kind: 'against-stdio'; readonly command: string; readonly args: readonly string[] };

export interface ReplayArgs {
  readonly file: string;
  readonly mode: ReplayMode;
  readonly ignore: readonly IgnorePath[];
  readonly timeoutMs: number;
}

const USAGE = 'mcp-trace-proxy replay FILE (--port N | --stdio | --against URL | --stdio -- <command> [args...]) [--ignore PATH]...';

/** Parses the subcommand's argv (after `replay`); throws RecordError naming the flag. Returns null for --help. */
export function parseReplayArgs(argv: readonly string[], print: (s: string) => void): ReplayArgs | null {
  const dashes = argv.indexOf('--');
  const own = dashes >= 0 ? argv.slice(0, dashes) : [...argv];
  const command = dashes >= 0 ? argv.slice(dashes + 1) : [];
  let failure: string | undefined;
  let output = '';
  const args = yargs(own)
    .scriptName('mcp-trace-proxy replay')
    .usage(`${USAGE}\n\nServe a cassette as a mock MCP server, or replay its client side against a live server and report differences.`)
    .option('port', { type: 'string', requiresArg: true, describe: 'serve the recorded server side over Streamable HTTP on this port (0: any free port)' })
    .option('host', { type: 'string', requiresArg: true, default: '127.0.0.1', describe: 'address the mock listens on' })
    .option('stdio', { type: 'boolean', describe: 'alone: serve the recorded server side on stdin/stdout; with -- <command>: replay against that stdio server' })
    .option('against', { type: 'string', requiresArg: true, describe: 'replay the recorded client side against this Streamable HTTP server URL' })
    .option('ignore', { type: 'string', array: true, requiresArg: true, describe: 'a JSON path not to compare, e.g. result.content[0].text or $.result.meta.time (repeatable; * for any key or index)' })
    .option('timeout', { type: 'string', requiresArg: true, default: '30s', describe: 'wait this long for each live answer (e.g. 500ms, 30s)' })
    .help().version(false).strictOptions().exitProcess(false)
    .parserConfiguration({ 'duplicate-arguments-array': true })
    .fail((msg, err) => {
      failure = err?.message ?? msg;
    })
    .parseSync(own, {}, (_e, _a, out) => {
      output = out;
    }) as Record<string, unknown>;
  if (failure) throw usage(failure);
  if (output || args.help) {
    print(output);
    return null;
  }
  const files = (args._ as unknown[]).map(String);
  if (files.length !== 1) throw usage(files.length === 0 ? 'replay needs the cassette FILE' : `one cassette FILE, not ${files.length} (${files.join(', ')})`);
  const ignore = ((args.ignore as string[] | undefined) ?? []).map((p) => {
    try {
      return parseIgnore(p);
    } catch (err) {
      throw usage((err as Error).message);
    }
  });
  const mode = modeOf(args, command);
  if (ignore.length > 0 && !mode.kind.startsWith('against')) throw usage('--ignore applies to a replay against a server (--against URL or --stdio -- <command>)');
  return { file: files[0], mode, ignore, timeoutMs: duration(String(args.timeout)) };
}

function modeOf(args: Record<string, unknown>, command: readonly string[]): ReplayMode {
  const given = [args.port !== undefined && '--port', args.stdio === true && '--stdio', args.against !== undefined && '--against'].filter(Boolean);
  if (given.length > 1) throw usage(`${given.join(' and ')} exclude each other`);
  if (command.length > 0 && args.stdio !== true) throw usage(`a command after -- (${JSON.stringify(command[0])}) needs --stdio`);
  if (args.against !== undefined) {
    let url: URL;
    try {
      url = new URL(String(args.against));
    } catch {
      throw usage(`--against: ${JSON.stringify(args.against)} is not a URL; expected e.g. http://127.0.0.1:3001/mcp`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage('--against: expected an http:// or https:// URL');
    return { kind: 'against-http', url };
  }
  if (args.stdio === true) return command.length > 0 ? { kind: 'against-stdio', command: command[0], args: command.slice(1) } : { kind: 'mock-stdio' };
  if (args.port !== undefined) {
    const n = /^\d+$/.test(String(args.port)) ? Number(args.port) : NaN;
    if (!(n >= 0 && n <= 65535)) throw usage(`--port: invalid value ${JSON.stringify(args.port)}; expected a port from 0 to 65535`);
    return { kind: 'mock-http', host: String(args.host), port: n };
  }
  throw usage('choose a mode: --port N or --stdio (a mock server), --against URL or --stdio -- <command> (a replay against a server)');
}

function duration(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(raw);
  const n = m ? Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? 'ms') as 'ms']) : NaN;
  if (!(n >= 1 && n <= 2 ** 31 - 1)) throw usage(`--timeout: invalid value ${JSON.stringify(raw)}; expected a duration such as 500ms or 30s`);
  return n;
}

function usage(message: string): RecordError {
  return new RecordError('MTP_REPLAY_USAGE', message);
}

/** Runs the subcommand; resolves with the exit code, or null while a mock keeps serving. */
export async function main(argv: readonly string[]): Promise<number | null> {
  const stderr = (s: string) => void process.stderr.write(`${s}\n`);
  let parsed: ReplayArgs | null;
  let cassette: Cassette;
  try {
    parsed = parseReplayArgs(argv, (s) => void process.stdout.write(`${s}\n`));
    if (!parsed) return 0;
    cassette = readCassette(parsed.file);
  } catch (err) {
    if (!(err instanceof RecordError)) throw err;
    stderr(`mcp-trace-proxy replay: ${err.message}`);
    if (err.code === 'MTP_REPLAY_USAGE') stderr(`Usage: ${USAGE}`);
    return EXIT_BAD_INPUT;
  }
  if (cassette.truncatedAt) stderr(`mcp-trace-proxy replay: ${cassette.file}:${cassette.truncatedAt}: the last line is cut off (a crashed run?); read up to the line before`);
  const { mode } = parsed;
  if (mode.kind === 'mock-http' || mode.kind === 'mock-stdio') {
    const server = new RecordedServer(cassette);
    if (mode.kind === 'mock-stdio') {
      stderr(`mcp-trace-proxy replay: serving ${cassette.file} (${server.size} recorded requests) on stdin/stdout`);
      await serveStdio(server, process.stdin, process.stdout);
      return 0;
    }
    const mock = await serveHttp(server, mode.host, mode.port);
    stderr(`mcp-trace-proxy replay: serving ${cassette.file} (${server.size} recorded requests) listening on ${mock.url}`);
    const stop = () => void mock.close().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return null;
  }
  const connect = mode.kind === 'against-http' ? () => httpPeer(mode.url, parsed!.timeoutMs) : () => stdioPeer(mode.command, mode.args, parsed!.timeoutMs);
  const summary = await replayAgainst(cassette, connect, parsed.ignore, (line) => void process.stdout.write(`${line}\n`));
  if (summary.skipped > 0) stderr(`mcp-trace-proxy replay: skipped ${summary.skipped} tools/call requests recorded without arguments (record with --capture-arguments to replay them)`);
  process.stdout.write(`${summary.requests} requests replayed, ${summary.differences === 0 ? 'no differences' : `${summary.differences} difference${summary.differences === 1 ? '' : 's'}`}\n`);
  return summary.differences === 0 ? 0 : 1;
}

/** The executable's entry for `replay`. */
export function run(argv: readonly string[]): void {
  main(argv).then((code) => {
    if (code !== null) process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(`mcp-trace-proxy replay: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
