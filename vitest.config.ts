import { defineConfig } from 'vitest/config';

/** Tests that talk to AWS share one local endpoint; the others need none. */
const AWS_TESTS = [
  'test/adapters/**/*.test.ts',
  'test/functions/**/*.test.ts',
  'test/e2e/**/*.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...AWS_TESTS, 'test/deployed/**'],
          // Synthesizing the stack bundles every function with esbuild, and
          // a test that synthesizes a stack of its own takes seconds too.
          hookTimeout: 120_000,
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'aws',
          include: AWS_TESTS,
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/aws-environment.ts'],
          hookTimeout: 120_000,
          testTimeout: 60_000,
        },
      },
    ],
  },
});
