'use strict';
// LEAKS: each job starts a polling interval "until done" and forgets to
// clear it: the timer keeps the closure, the closure keeps the job's
// buffer.
const EXPECT = {
  leak: true,
  types: ['Timeout'],
  retainer: ['timerListMap'],
  mechanism: 'a closure kept by a timer that is never cleared',
};

class PollingJob {
  constructor(id, size) {
    this.id = id;
    this.results = Array.from({ length: Math.max(1, size / 50) }, (_, i) => ({ i, ok: true }));
  }
}

let jobs = 0;
const timers = [];

async function action(size) {
  const job = new PollingJob(++jobs, size);
  const t = setInterval(() => job.results.length, 60 * 60 * 1000); // never cleared
  t.unref();
  timers.length = 0; // (the program does not keep the handles: only the timer list does)
}

module.exports = { action, EXPECT };
