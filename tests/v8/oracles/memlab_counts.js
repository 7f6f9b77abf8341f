'use strict';
// Oracle: memlab's own heap snapshot parser. Prints, as JSON, per
// "type|name" the node count and summed self size, and with --triple
// BASELINE TARGET FINAL memlab's candidate set (ids new in TARGET and alive
// in FINAL) per "type|name".
//   node memlab_counts.js FILE
//   node memlab_counts.js --triple BASELINE TARGET FINAL
const path = require('path');
const modules = process.env.LEAKHUNT_ORACLES || path.join(__dirname, '../../../.cache/v8-oracles/node_modules');
const { getHeapFromFile } = require(path.join(modules, '@memlab/heap-analysis'));

function tally(nodes, keep) {
  const out = {};
  nodes.forEach((node) => {
    if (keep && !keep(node)) return;
    const key = `${node.type}|${node.name}`;
    const row = out[key] || (out[key] = [0, 0]);
    row[0] += 1;
    row[1] += node.self_size;
  });
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  const quiet = console.log;
  console.log = () => {};
  let result;
  if (args[0] === '--triple') {
    const [b, t, f] = [];
    const heaps = [];
    for (const file of args.slice(1)) heaps.push(await getHeapFromFile(file));
    const ids = (heap) => { const s = new Set(); heap.nodes.forEach((n) => { s.add(n.id); }); return s; };
    const base = ids(heaps[0]);
    const target = ids(heaps[1]);
    result = { candidates: tally(heaps[2].nodes, (n) => target.has(n.id) && !base.has(n.id)) };
  } else {
    const heap = await getHeapFromFile(args[0]);
    let edges = 0;
    heap.nodes.forEach((n) => { edges += n.edge_count; });
    result = { nodes: heap.nodes.length, edges, by: tally(heap.nodes) };
  }
  console.log = quiet;
  process.stdout.write(JSON.stringify(result));
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
