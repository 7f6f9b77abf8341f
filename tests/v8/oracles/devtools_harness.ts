// Oracle: Chrome DevTools' own heap-snapshot worker code (the npm package
// chrome-devtools-frontend), bundled for Node by devtools_build.mjs. Prints
// what the Memory panel computes, as JSON:
//   summary FILE           {class: [count, self size]} (Summary view)
//   compare BASE FILE      {class: [added, removed, count delta, size delta]} (Comparison)
//   retainers FILE ID      the retaining edges of the node with id ID, up to the root
import * as fs from 'node:fs';

import * as Model from '../../front_end/models/heap_snapshot/heap_snapshot.js';
import * as HS from '../../front_end/entrypoints/heap_snapshot_worker/HeapSnapshot.js';
import {HeapSnapshotLoader} from '../../front_end/entrypoints/heap_snapshot_worker/HeapSnapshotLoader.js';

// The Memory panel's path: the loader gets the file in chunks, as text.
async function load(file: string): Promise<HS.JSHeapSnapshot> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const loader = new HeapSnapshotLoader(undefined as any);
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  const decoder = new TextDecoder('utf-8');
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    loader.write(decoder.decode(buf.subarray(0, n), {stream: true}));
  }
  fs.closeSync(fd);
  loader.close();
  const channel = new MessageChannel();
  new HS.SecondaryInitManager(channel.port2);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const snap = await loader.buildSnapshot(channel.port1 as any);
  channel.port1.close();
  channel.port2.close();
  return snap;
}

function summary(snap: HS.JSHeapSnapshot): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  const aggregates = snap.aggregatesWithFilter(new Model.HeapSnapshotModel.NodeFilter());
  for (const [key, agg] of Object.entries(aggregates)) {
    out[agg.name] = [agg.count, agg.self];
  }
  return out;
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  let result: unknown;
  if (command === 'summary') {
    result = summary(await load(args[0]));
  } else if (command === 'compare') {
    const base = await load(args[0]);
    const snap = await load(args[1]);
    const baseAggregates = base.aggregatesForDiff(snap.interfaceDefinitions());
    const diff = snap.calculateSnapshotDiff(1, baseAggregates);
    const out: Record<string, [number, number, number, number]> = {};
    for (const d of Object.values(diff)) {
      out[d.name] = [d.addedCount, d.removedCount, d.countDelta, d.sizeDelta];
    }
    result = out;
  } else if (command === 'retainers') {
    const snap = await load(args[0]);
    const id = Number(args[1]);
    const chain: string[] = [];
    let index = snap.getNodeIndexById ? undefined : undefined;
    const node = snap.createNode();
    for (let i = 0; i < snap.nodeCount; i++) {
      node.nodeIndex = i * snap.nodeFieldCount;
      if (node.id() === id) { index = node.nodeIndex; break; }
    }
    const seen = new Set<number>();
    while (index !== undefined && !seen.has(index)) {
      seen.add(index);
      const provider = snap.createRetainingEdgesProvider(index);
      const range = provider.serializeItemsRange(0, 1);
      const item = range.items[0] as Model.HeapSnapshotModel.Edge | undefined;
      if (!item) break;
      chain.push(`${item.name} (${item.type}) in ${item.node.name}`);
      index = item.node.id !== undefined ? undefined : undefined;
      const next = snap.createNode();
      let found: number | undefined;
      for (let i = 0; i < snap.nodeCount; i++) {
        next.nodeIndex = i * snap.nodeFieldCount;
        if (next.id() === item.node.id) { found = next.nodeIndex; break; }
      }
      index = found;
    }
    result = chain;
  } else {
    throw new Error('usage: summary FILE | compare BASE FILE | retainers FILE ID');
  }
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

main().catch((e) => { process.stderr.write(String(e?.stack || e) + '\n'); process.exit(1); });
