// Loaded before every test file (vitest.config.ts setupFiles).
//
// Many tests here are long synchronous runs (the core in-process, a child run with spawnSync).
// vitest's worker answers its main process only when its event loop turns, and it ends a worker
// whose answer is 60 s late ("Timeout calling onTaskUpdate"); between tests the loop does not
// turn by itself, so a file of synchronous tests would count as one block. A timer before each
// test turns it, so only one test's own run counts.

import { beforeEach } from "vitest";

beforeEach(async () => {
  await new Promise((r) => setTimeout(r, 0));
});
