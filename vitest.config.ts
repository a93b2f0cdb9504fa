import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Each test file gets its own database; files share nothing but the machine.
    pool: "forks",
    // Much of a file's time is spent waiting (HTTP, the database, timers): two files at once, even on two
    // cores, where the default runs one at a time. More starves the tests that start real processes.
    maxWorkers: 2,
    minWorkers: 1,
    // A worker keeps the modules it loaded for the next file: loading the bot (Bolt, Sequelize, the drivers) once per
    // worker instead of once per file halves the suite's time. Files share no state through them: each opens its own
    // database and its own bot, and restores what it changes in the process (TMPDIR).
    isolate: false,
    // One migrated database for the run, which each file copies (see test/support/global-setup.ts); child
    // processes run dist/, built once when the sources changed (test/support/build-once.ts).
    globalSetup: ["test/support/build-once.ts", "test/support/global-setup.ts"],
  },
});
