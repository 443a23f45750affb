#!/usr/bin/env node
// What a Node test suite pays for yundong (issue 14): the time from startYundong() to the first answered request
// (the package resolves once /healthz has answered, so that is the time until it returns), and the per-test reset
// (yd.reset() on a deployment holding one test's worth of data: an app, a user, steps, a login code).
//
//   YUNDONG_BIN=target/release/yundong node bench/packages/node.mjs [--starts 30] [--resets 200]
//
// Prints a small table (ms): median, p90 and max of each. Figures are recorded in docs/BENCHMARKS.md.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startYundong } from '../../node/index.mjs';

const { values } = parseArgs({
  options: { starts: { type: 'string', default: '30' }, resets: { type: 'string', default: '200' } },
});
const STARTS = Math.max(20, Number(values.starts));
const RESETS = Math.max(100, Number(values.resets));
if (!process.env.YUNDONG_BIN) {
  console.error('set YUNDONG_BIN to a release yundong binary');
  process.exit(2);
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, median: at(0.5), p90: at(0.9), max: s[s.length - 1] };
}
const fmt = (v) => v.toFixed(1).padStart(8);

// One start first, untimed: the binary's pages into the page cache, as in any test run after the first.
await (await startYundong()).stop();

const starts = [];
for (let i = 0; i < STARTS; i++) {
  const t0 = performance.now();
  const yd = await startYundong();
  starts.push(performance.now() - t0);
  await yd.stop();
}

const yd = await startYundong();
const resets = [];
for (let i = 0; i < RESETS; i++) {
  const app = await yd.createApp('bench');
  const user = await yd.createUser('bench');
  await yd.setSteps(user, 8000);
  await yd.login(user, app);
  const t0 = performance.now();
  await yd.reset();
  resets.push(performance.now() - t0);
}
await yd.stop();

const rows = [
  ['startYundong() → first answer', stats(starts)],
  ['reset() per test', stats(resets)],
];
console.log(`node ${process.version}, ${process.env.YUNDONG_BIN}`);
console.log(`${'ms'.padEnd(32)}${'n'.padStart(6)}${'median'.padStart(8)}${'p90'.padStart(8)}${'max'.padStart(8)}`);
for (const [name, s] of rows) console.log(`${name.padEnd(32)}${String(s.n).padStart(6)}${fmt(s.median)}${fmt(s.p90)}${fmt(s.max)}`);
