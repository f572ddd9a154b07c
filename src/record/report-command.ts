// `mcp-trace-proxy report FILE > run.html`: its own flags (none but --help), the page on stdout.
import yargs from 'yargs';
import { EXIT_BAD_INPUT, RecordError } from './errors';
import { readCassette } from './format';
import { renderReport } from './report';

/** Resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let failure: string | undefined;
  let output = '';
  const args = yargs([...argv])
    .scriptName('mcp-trace-proxy report')
    .usage('mcp-trace-proxy report FILE > run.html\n\nWrite one self-contained offline HTML page of a cassette: a timeline of its operations and a per-tool table.')
    .help().version(false).strictOptions().exitProcess(false)
    .fail((msg, err) => {
      failure = err?.message ?? msg;
    })
    .parseSync([...argv], {}, (_e, _a, out) => {
      output = out;
    }) as Record<string, unknown>;
  try {
    if (failure) throw new RecordError('MTP_REPLAY_USAGE', failure);
    if (output || args.help) {
      process.stdout.write(`${output}\n`);
      return 0;
    }
    const files = (args._ as unknown[]).map(String);
    if (files.length !== 1) throw new RecordError('MTP_REPLAY_USAGE', files.length === 0 ? 'report needs the cassette FILE' : `one cassette FILE, not ${files.length}`);
    const cassette = readCassette(files[0]);
    if (cassette.truncatedAt) process.stderr.write(`mcp-trace-proxy report: ${cassette.file}:${cassette.truncatedAt}: the last line is cut off (a crashed run?); read up to the line before\n`);
    process.stdout.write(renderReport(cassette));
    return 0;
  } catch (err) {
    if (!(err instanceof RecordError)) throw err;
    process.stderr.write(`mcp-trace-proxy report: ${err.message}\n${err.code === 'MTP_REPLAY_USAGE' ? 'Usage: mcp-trace-proxy report FILE > run.html\n' : ''}`);
    return EXIT_BAD_INPUT;
  }
}

/** The executable's entry for `report`. */
export function run(argv: readonly string[]): void {
  main(argv).then((code) => {
    process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(`mcp-trace-proxy report: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
