// Runs before every test file (vitest.config.ts `setupFiles`).
//
// Consecutive synchronous tests never return to the event loop: vitest awaits each one as a
// microtask. A worker's RPC to vitest (`onTaskUpdate`, 60 s timeout) then cannot see its reply
// until the whole file is done, and a file of synchronous tests that takes over 60 s on a busy
// machine (the conformance scripts take about 50 s idle) fails the run with "Timeout calling
// onTaskUpdate" although every test passed. One macrotask turn before each test lets replies in.
import { beforeEach } from 'vitest';

beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
