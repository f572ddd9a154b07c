#!/usr/bin/env node
// The executable. The heap settings go first, before the modules the proxy loads make the young
// generation grow (heap.ts says why); then the command line runs (command.ts), or a subcommand's
// own module when the first argument names one (each parses its own flags).
import { tuneHeap } from './heap';

const SUBCOMMANDS: Readonly<Record<string, string>> = {
  'inject-webhook': './inject/command',
  replay: './record/replay-command',
  report: './record/report-command',
};

tuneHeap();
const sub = Object.hasOwn(SUBCOMMANDS, process.argv[2] ?? '') ? SUBCOMMANDS[process.argv[2]] : undefined;
if (sub) (require(sub) as { run(argv: readonly string[]): void }).run(process.argv.slice(3));
else (require('./cli/command') as typeof import('./cli/command')).run();
