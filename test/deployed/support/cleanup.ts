/**
 * Cleanup of the deployed-stack test: each resource that the test creates
 * registers the step that removes it, and `afterAll` runs them all.
 */
import { progress } from './progress.ts';

type CleanupStep = (options: { failed: boolean }) => Promise<void>;

/**
 * Cleanup steps, run in the reverse order of their registration. A failing
 * step does not stop the others.
 */
export class Cleanup {
  private readonly steps: Array<{
    name: string;
    run: CleanupStep;
    onFailureOnly: boolean;
  }> = [];

  /** Registers a step that always runs. */
  add(name: string, run: CleanupStep): void {
    this.steps.push({ name, run, onFailureOnly: false });
  }

  /** Registers a step that runs only when the test failed. */
  addOnFailure(name: string, run: CleanupStep): void {
    this.steps.push({ name, run, onFailureOnly: true });
  }

  /**
   * Runs every step once.
   *
   * @param options.failed - whether a test or the setup failed.
   * @throws AggregateError of the steps that failed, after all have run.
   */
  async runAll(options: { failed: boolean }): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      if (step.onFailureOnly && !options.failed) {
        continue;
      }
      progress(step.name);
      try {
        await step.run(options);
      } catch (error) {
        progress(`${step.name} failed: ${String(error)}`);
        errors.push(error);
      }
    }
    if (errors.length > 0) {
      throw new AggregateError(
        errors,
        `${errors.length} cleanup steps failed; see the progress lines above`,
      );
    }
  }
}
