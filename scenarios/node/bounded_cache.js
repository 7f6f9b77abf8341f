'use strict';
// CONTROL: a Map cache with LRU eviction at 20 entries. It fills during the
// first actions, then stays the same size: not a leak.
const EXPECT = {
  leak: false,
  types: [],
  retainer: [],
  mechanism: 'a bounded LRU Map',
};

const LIMIT = 20;
const cache = new Map();
let calls = 0;

class Entry {
  constructor(key, size) {
    this.key = key;
    this.rows = Array.from({ length: Math.max(1, size / 50) }, (_, i) => [key, i]);
  }
}

async function action(size) {
  for (let i = 0; i < 5; i++) {
    const key = `entry-${++calls}`;
    cache.set(key, new Entry(key, size));
    if (cache.size > LIMIT) cache.delete(cache.keys().next().value);
  }
}

module.exports = { action, EXPECT };
