#!/usr/bin/env node
// The executable. The heap settings go first, before the modules the proxy loads make the young
// generation grow (heap.ts says why); then the command line runs (command.ts).
import { tuneHeap } from './heap';

tuneHeap();
(require('./cli/command') as typeof import('./cli/command')).run();
