// V8 heap settings the CLI applies to itself, so `npx mcp-trace-proxy` and `node dist/cli.js` run
// as measured without Node flags. Not applied by createProxy(): an embedding process owns its heap.
//
// The young generation: V8 lets each semi-space grow to 16 MB under load. At start-up it is held
// at its initial 1 MB, so the garbage of loading modules does not leave a large young generation
// behind (idle RSS). Once the proxy is up it may grow to 8 MB: smaller, and scavenges are so
// frequent that their fixed cost shows (100 % tracing: ~107 against ~95 CPU µs/request); larger
// costs 10 MB more peak RSS for no CPU (bench/README.md). `--max-semi-space-size` is read only at
// start-up; the growth factor is read at each growth, so growth is stopped by setting it to 1.
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

const MAX_SEMI_SPACE_MB = 8;

/** First thing at start-up: no young-generation growth while modules load. */
export function tuneHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Once serving: the young generation may grow to two 8 MB semi-spaces, and no further. Checked
 * after every GC, not once: V8 shrinks the young generation when allocation slows (an idle
 * spell), and it must be able to grow back when load returns. A semi-space at most doubles per
 * scavenge, and scavenges are many requests apart, so the cap holds to within one step.
 */
export function letYoungGenerationGrow(): void {
  const cap = 2 * MAX_SEMI_SPACE_MB * 2 ** 20;
  let growing = false;
  const apply = () => {
    const grow = youngGenerationBytes() < cap;
    if (grow === growing) return;
    growing = grow;
    setFlagsFromString(`--semi-space-growth-factor=${grow ? 2 : 1}`);
  };
  new PerformanceObserver(apply).observe({ entryTypes: ['gc'] });
  apply();
}

export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
