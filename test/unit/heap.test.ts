// The CLI's heap settings (src/heap.ts), checked in fresh node processes under an allocation load
// where part of what is allocated survives a while, which makes V8 grow its young generation.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const HEAP = path.join(__dirname, '../../dist/heap.js');

/** The young generation's size (MB) after the load; `setup` runs first. The load yields, as a server does. */
function youngAfterLoad(setup: string): number {
  const script = `
    const heap = require(${JSON.stringify(HEAP)});
    ${setup}
    (async () => {
      const keep = [];
      for (let round = 0; round < 400; round++) {
        for (let i = 0; i < 5000; i++) { keep.push({ i, s: 'x' + i + round }); if (keep.length > 20000) keep.splice(0, 10000); }
        await new Promise(setImmediate);
      }
      process.stdout.write(String(heap.youngGenerationBytes() / 2 ** 20));
    })();`;
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('heap settings', () => {
  it('V8 alone grows the young generation past 16 MB under this load', () => {
    expect(youngAfterLoad('')).toBeGreaterThan(16);
  });

  it('tuneHeap keeps it at its initial 2 MB (two 1 MB semi-spaces)', () => {
    expect(youngAfterLoad('heap.tuneHeap();')).toBeLessThanOrEqual(2);
  });

  it('letYoungGenerationGrow lets it grow, to two 8 MB semi-spaces and no further', () => {
    const mb = youngAfterLoad('heap.tuneHeap(); heap.letYoungGenerationGrow();');
    expect(mb).toBeGreaterThan(2);
    expect(mb).toBeLessThanOrEqual(16);
  });
});
