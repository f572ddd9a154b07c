'use strict';
// CPU time and memory of benchmark processes, from /proc (Linux). A target is measured as its process
// group: the harness starts every process as a group leader, so the group is the process itself for the
// Node processes, and master + worker for nginx.
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

/** USER_HZ: the unit of the times in /proc/<pid>/stat. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat from field 3 (state) on, or null once the process is gone. */
function statFields(pid) {
  try {
    const t = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return t.slice(t.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * utime + stime of a process in seconds: every thread, live or exited (the kernel adds a thread's time
 * to its process when it ends), without reaped children (cutime/cstime). NaN once the process is gone.
 */
function cpuSeconds(pid) {
  const r = statFields(pid);
  return r ? (Number(r[11]) + Number(r[12])) / CLK_TCK : NaN; // fields 14 (utime) and 15 (stime)
}

/** The pids of a process group now (one scan of /proc). */
function groupPids(pgrp) {
  const pids = [];
  for (const d of fs.readdirSync('/proc')) {
    if (d.charCodeAt(0) < 48 || d.charCodeAt(0) > 57) continue;
    const r = statFields(d);
    if (r && Number(r[2]) === pgrp) pids.push(Number(d)); // field 5: pgrp
  }
  return pids;
}

/** VmRSS in MB (MiB) of one process, NaN once it is gone. */
function rssMB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The sum of VmRSS over pids (pages two of them share count twice); NaN if none is alive. */
function sumRssMB(pids) {
  let sum = NaN;
  for (const p of pids) {
    const v = rssMB(p);
    if (Number.isFinite(v)) sum = (Number.isFinite(sum) ? sum : 0) + v;
  }
  return sum;
}

/**
 * Starts measuring a process group: its CPU seconds from now, and the peak of its summed RSS, sampled
 * every `everyMs`. The group's pids are taken once, here (nginx's master and worker do not change under
 * load), so sampling stays cheap. Returns stop() → { cpuS, peakMB, pids }.
 */
function groupMeter(pgrp, { everyMs = 100, rss = true } = {}) {
  const pids = groupPids(pgrp);
  const cpu0 = new Map(pids.map((p) => [p, cpuSeconds(p)]));
  let peak = rss ? sumRssMB(pids) : NaN;
  const t = rss ? setInterval(() => {
    const v = sumRssMB(pids);
    if (Number.isFinite(v) && !(v <= peak)) peak = v;
  }, everyMs) : null;
  return () => {
    if (t) clearInterval(t);
    let cpuS = 0;
    // A pid that ended inside the window loses its last ticks: none is expected to.
    for (const [p, c0] of cpu0) {
      const c1 = cpuSeconds(p);
      if (Number.isFinite(c1)) cpuS += c1 - c0;
    }
    if (rss) {
      const v = sumRssMB(pids);
      if (Number.isFinite(v) && !(v <= peak)) peak = v;
    }
    return { cpuS, peakMB: peak, pids };
  };
}

module.exports = { CLK_TCK, cpuSeconds, groupPids, rssMB, sumRssMB, groupMeter };
