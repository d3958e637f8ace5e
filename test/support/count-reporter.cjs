// Mocha reporter for scripts/test-all.mjs: mocha's usual Spec output, plus the counts as JSON
// ({passed, failed, skipped}) in the file named by env PI_COUNTS_FILE, so the totals never come
// from parsing mocha's human summary. Hook failures (before/after) count as failures.
//   PI_COUNTS_FILE=/tmp/c.json mocha --reporter ./test/support/count-reporter.cjs ...
'use strict';
const fs = require('fs');
const mocha = require('mocha');
const Spec = (mocha.reporters || mocha.default.reporters).Spec;
const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = (mocha.Runner || mocha.default.Runner).constants;

class CountReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const counts = { passed: 0, failed: 0, skipped: 0 };
    runner.on(EVENT_TEST_PASS, () => counts.passed++);
    runner.on(EVENT_TEST_FAIL, () => counts.failed++);
    runner.on(EVENT_TEST_PENDING, () => counts.skipped++);
    runner.once(EVENT_RUN_END, () => {
      if (process.env.PI_COUNTS_FILE) fs.writeFileSync(process.env.PI_COUNTS_FILE, JSON.stringify(counts));
    });
  }
}

module.exports = CountReporter;
