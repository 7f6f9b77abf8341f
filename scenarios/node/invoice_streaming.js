'use strict';
// CONTROL: the fixed invoice export. Rows are read one by one with an async
// generator over readline and written out as CSV lines at once; nothing
// outlives the export but a counter.
const fs = require('fs');
const readline = require('readline');
const { Writable } = require('stream');
const { invoiceFile } = require('./_invoices');

const EXPECT = {
  leak: false,
  types: [],
  retainer: [],
  mechanism: 'rows streamed (async generator), nothing kept',
};

let exportsDone = 0;

async function* invoices(file) {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line) yield JSON.parse(line);
  }
}

async function action(size) {
  let bytes = 0;
  const sink = new Writable({
    write(chunk, _enc, done) { bytes += chunk.length; done(); },
  });
  for await (const row of invoices(invoiceFile(size))) {
    const total = row.lines.reduce((sum, l) => sum + l.qty * l.price, 0);
    if (!sink.write(`${row.id},${row.customer},${total}\n`)) {
      await new Promise((resolve) => sink.once('drain', resolve));
    }
  }
  sink.end();
  exportsDone += 1;
  return bytes;
}

module.exports = { action, EXPECT, get exportsDone() { return exportsDone; } };
