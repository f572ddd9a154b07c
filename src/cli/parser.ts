// yargs from an options table, the one way the proxy and its subcommands read flags: strict
// (an unknown flag is an error), never exiting the process, help and version returned as text.
// yargs 17 (CommonJS) rather than 18 (ESM-only): the build, jest and `npx` all run CommonJS here.
import yargs from 'yargs';
import { ConfigError } from '../errors';

export interface TableOption {
  readonly flag: string;
  /** 'bool' is a switch (with --no-<flag>); anything else takes a value. */
  readonly kind: string;
  readonly describe: string;
  readonly default?: string;
}

export interface ParserSpec {
  readonly scriptName: string;
  readonly usage: string;
  readonly version: string;
  readonly epilogue: string;
  readonly options: readonly TableOption[];
  /** The variable that also sets a flag, named in its help line. */
  readonly envName: (flag: string) => string;
}

export interface Parsed {
  /** yargs' argv: values by flag and camel-cased flag, positionals in `_`. */
  readonly args: Record<string, unknown>;
  /** Help or version text when asked for: print it and exit 0. */
  readonly output: string;
}

/** Parses argv by the table. Throws ConfigError with yargs' message on an unknown flag or a missing value. */
export function parseTable(argv: readonly string[], spec: ParserSpec): Parsed {
  let parser = yargs([...argv])
    .scriptName(spec.scriptName)
    .usage(spec.usage)
    .version(spec.version)
    .help()
    .strict()
    .exitProcess(false)
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .wrap(Math.min(110, process.stderr.columns || 110))
    .epilogue(spec.epilogue);
  for (const o of spec.options) {
    const describe = `${o.describe} [env ${spec.envName(o.flag)}]`;
    parser = o.kind === 'bool'
      ? parser.option(o.flag, { type: 'boolean', describe, defaultDescription: o.default })
      : parser.option(o.flag, { type: 'string', describe, defaultDescription: o.default, requiresArg: true });
  }
  let failure: string | undefined;
  let output = '';
  const args = parser.fail((msg, err) => {
    failure = err?.message ?? msg;
  }).parseSync([...argv], {}, (_err, _argv, out) => {
    output = out;
  }) as Record<string, unknown>;
  if (failure) throw new ConfigError(failure);
  return { args, output };
}
