'use strict';
// LEAKS: the seed's invoice export. Each export reads the whole JSONL file,
// parses every row, builds a spreadsheet-like cell map, and keeps the job
// (with all its parsed rows) in a module-level history "for the admin
// page". Every export adds `size` rows that live for ever.
const fs = require('fs');
const { invoiceFile } = require('./_invoices');

const EXPECT = {
  leak: true,
  types: ['ExportJob'],
  retainer: ['exportHistory'],
  mechanism: 'parsed rows kept in a module-level array',
};

class ExportJob {
  constructor(rows) {
    this.started = Date.now();
    this.rows = rows;
  }
}

const exportHistory = [];

function toSheet(rows) {
  const cells = {};
  rows.forEach((row, r) => {
    cells[`A${r + 1}`] = row.id;
    cells[`B${r + 1}`] = row.customer;
    cells[`C${r + 1}`] = row.lines.reduce((sum, l) => sum + l.qty * l.price, 0);
  });
  return cells;
}

async function action(size) {
  const text = fs.readFileSync(invoiceFile(size), 'utf8');
  const rows = text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const sheet = toSheet(rows);
  exportHistory.push(new ExportJob(rows)); // the leak
  return Object.keys(sheet).length;
}

module.exports = { action, EXPECT };
