// V8 heap settings the CLI applies to itself, so `npx mcp-trace-proxy` and `node dist/cli.js` run
// as measured without Node flags. Not applied by createProxy(): an embedding process owns its heap.
//
// Why a small young generation: under load V8 grows each semi-space to 16 MB. A proxy's garbage
// dies within a request, but the few in-flight requests a scavenge finds alive get promoted, and
// dead promoted objects keep young ones alive in turn, until a full GC. With a 16 MB semi-space that
// came to several MB per scavenge: the old generation churned, and 60–70 % more CPU and RSS went to
// it (bench/README.md, issue 12). Kept at its initial 1 MB, a scavenge is short and finds little
// alive. `--max-semi-space-size` is read only at start-up, but the growth factor is read at each
// growth, so it still works when set from inside the program.
import { setFlagsFromString } from 'node:v8';

export function tuneHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
