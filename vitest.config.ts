import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/aws-environment.ts'],
    // Synthesizing the stack bundles four functions with esbuild.
    hookTimeout: 120_000,
    testTimeout: 60_000,
  },
});
