#!/usr/bin/env node
// The executable. The heap settings go first, before the modules the proxy loads make the young
// generation grow (heap.ts says why); then the command line runs (command.ts), or the injection
// webhook's (inject/command.ts) when the first argument is `inject-webhook`.
import { tuneHeap } from './heap';

tuneHeap();
if (process.argv[2] === 'inject-webhook') (require('./inject/command') as typeof import('./inject/command')).run(process.argv.slice(3));
else (require('./cli/command') as typeof import('./cli/command')).run();
