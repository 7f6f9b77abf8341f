'use strict';
// CONTROL: the request subscribes to the bus and unsubscribes when done;
// nothing outlives the request.
const { EventEmitter } = require('events');

const EXPECT = {
  leak: false,
  types: [],
  retainer: [],
  mechanism: 'a listener removed when the request ends',
};

const configBus = new EventEmitter();

async function action(size) {
  for (let i = 0; i < 10; i++) {
    const body = Array.from({ length: Math.max(1, size / 100) }, (_, k) => ({ line: k }));
    const onChange = () => body.length;
    configBus.on('change', onChange);
    configBus.emit('change');
    configBus.off('change', onChange);
  }
}

module.exports = { action, EXPECT };
