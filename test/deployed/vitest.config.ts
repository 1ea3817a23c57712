/**
 * Vitest settings of `npm run e2e`: the deployed-stack test alone, without
 * the default suite's shared moto server. Its files end in `.e2e.ts`, so the
 * default `test/**\/*.test.ts` pattern of `npm test` never includes them.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/deployed/**/*.e2e.ts'],
    // Bootstrap and deploy take about a minute on 2 CPUs; cleanup destroys
    // the stack.
    hookTimeout: 300_000,
    // A step waits at most 150 s for the schedule, plus its API calls.
    testTimeout: 200_000,
    fileParallelism: false,
  },
});
