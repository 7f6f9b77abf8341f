'use strict';
// LEAKS: every request subscribes a handler to a long-lived event bus
// ("config changed") and never unsubscribes; each handler's closure keeps
// the request's context alive.
const { EventEmitter } = require('events');

const EXPECT = {
  leak: true,
  types: ['Function'],
  retainer: ['configBus'],
  mechanism: 'an event listener added per request, never removed',
};

const configBus = new EventEmitter();
configBus.setMaxListeners(0);

class RequestContext {
  constructor(id, size) {
    this.id = id;
    this.headers = Array.from({ length: 8 }, (_, i) => `x-header-${i}: ${id}`);
    this.body = Array.from({ length: Math.max(1, size / 100) }, (_, i) => ({ line: i }));
  }
}

let requests = 0;

async function action(size) {
  for (let i = 0; i < 10; i++) {
    const ctx = new RequestContext(++requests, size);
    configBus.on('change', () => ctx.headers.length); // the leak
  }
}

module.exports = { action, EXPECT };
