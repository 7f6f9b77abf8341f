'use strict';
// LEAKS: a module-level Map caches every rendered report by a key that is
// different for every request, with no eviction.
const EXPECT = {
  leak: true,
  types: ['Report'],
  retainer: ['reportCache'],
  mechanism: 'a global Map cache without eviction',
};

const reportCache = new Map();
let calls = 0;

class Report {
  constructor(key, size) {
    this.key = key;
    this.rows = Array.from({ length: Math.max(1, size / 50) }, (_, i) => [key, i, i * 2]);
  }
}

async function action(size) {
  for (let i = 0; i < 5; i++) {
    const key = `report-${++calls}`;
    if (!reportCache.has(key)) reportCache.set(key, new Report(key, size));
  }
}

module.exports = { action, EXPECT };
