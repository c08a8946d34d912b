import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Whole-file tests (conformance scripts, typedoc, CLI runs) take seconds on a shared 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // `wasmo run`'s compile cache goes here during tests, not into the user's ~/.cache.
    env: { XDG_CACHE_HOME: join(tmpdir(), 'wasmo-test-xdg-cache') },
  },
});
