'use strict';
// The seed's data: an invoice export reads a JSONL file of invoices. The
// file is written once per process into a private temporary directory.
const fs = require('fs');
const os = require('os');
const path = require('path');

let cached = null;

function invoiceFile(size) {
  if (cached && cached.size === size) return cached.file;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhunt-invoices-'));
  const file = path.join(dir, 'invoices.jsonl');
  const lines = [];
  for (let i = 0; i < size; i++) {
    lines.push(JSON.stringify({
      id: `INV-${100000 + i}`,
      customer: `customer-${i % 97}`,
      date: `2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
      currency: i % 3 ? 'EUR' : 'USD',
      lines: [{ sku: `SKU-${i % 50}`, qty: 1 + (i % 4), price: 9.5 + (i % 10) }],
    }));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  cached = { size, file };
  return file;
}

module.exports = { invoiceFile };
