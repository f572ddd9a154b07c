// The CLI's heap setting (src/heap.ts), checked in a fresh node process: its young generation must
// stay at the initial 1 MB semi-spaces under an allocation load that makes V8 grow it otherwise.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const HEAP = path.join(__dirname, '../../dist/heap.js');

/** The new space's size (MB) after a load where part of what is allocated survives a while. */
function newSpaceAfterLoad(tune: boolean): number {
  const script = `
    if (${tune}) require(${JSON.stringify(HEAP)}).tuneHeap();
    const keep = [];
    for (let i = 0; i < 400000; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 5000) keep.splice(0, 2500); }
    const ns = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    process.stdout.write(String(ns.space_size / 2 ** 20));`;
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('tuneHeap', () => {
  it('keeps the new space at 2 MB (two 1 MB semi-spaces), where V8 alone grows it', () => {
    expect(newSpaceAfterLoad(false)).toBeGreaterThan(2);
    expect(newSpaceAfterLoad(true)).toBeLessThanOrEqual(2);
  });
});
