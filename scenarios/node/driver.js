'use strict';
// Runs one Node scenario and writes three heap snapshots, the way memlab
// asks for them: baseline (after a warm-up action), target (after ACTIONS
// more), final (after ACTIONS more again).
//
//   node --expose-gc driver.js SCENARIO.js OUTDIR [ACTIONS] [SIZE]
//
// Writes OUTDIR/baseline.heapsnapshot, target.heapsnapshot and
// final.heapsnapshot. A scenario module exports `action(size)` (may be
// async: one request, one export, one batch), optional `setup()` and
// `teardown()`, and `EXPECT` (the ground truth the tests assert). No npm
// dependency: only Node's own modules.
const path = require('path');
const v8 = require('v8');

async function main() {
  const [file, outdir, actionsArg, sizeArg] = process.argv.slice(2);
  if (!file || !outdir) {
    process.stderr.write('usage: node --expose-gc driver.js SCENARIO.js OUTDIR [ACTIONS] [SIZE]\n');
    process.exit(2);
  }
  const actions = Number(actionsArg || 3);
  const size = Number(sizeArg || 1000);
  const scenario = require(path.resolve(file));
  if (scenario.setup) await scenario.setup(size);
  const settle = async () => {
    // let timers, sockets and microtasks of the last action finish
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (global.gc) { global.gc(); global.gc(); }
  };
  const snap = async (name) => {
    await settle();
    v8.writeHeapSnapshot(path.join(outdir, `${name}.heapsnapshot`));
  };
  await scenario.action(size); // warm-up: lazy initialisation is not a leak
  await snap('baseline');
  for (let i = 0; i < actions; i++) await scenario.action(size);
  await snap('target');
  for (let i = 0; i < actions; i++) await scenario.action(size);
  await snap('final');
  if (scenario.teardown) await scenario.teardown();
}

main().then(
  () => process.exit(0),
  (err) => { process.stderr.write(String(err && err.stack || err) + '\n'); process.exit(1); },
);
