/**
 * Readers of the CDK context values that configure the app. They raise an
 * error at synth time, naming the context key, when a value is invalid.
 */
import { z } from 'zod';

import { ConnectorSchema } from '#lib/config.ts';
import { toJsonPath } from '#lib/validation.ts';

/** Stage used when the `stage` context value is not set. */
export const DEFAULT_STAGE = 'dev';

const CONNECTOR_EXAMPLE =
  '{"grc":{"type":"webhook","url":"https://grc.example.com/hooks"}}';

const ConnectorsContextSchema = z.record(z.string().min(1), ConnectorSchema);

/**
 * Reads the deployment stage from the `stage` context value.
 *
 * @throws Error when the value is set but is not a string. `defineService`
 *   checks the stage name itself.
 */
export function readStage(value: unknown): string {
  if (value === undefined) {
    return DEFAULT_STAGE;
  }
  if (typeof value !== 'string') {
    throw new Error(
      `Invalid context "stage": expected a string such as "prod", received ${typeof value}. Pass it as --context stage=NAME.`,
    );
  }
  return value;
}

/**
 * Reads the connectors by route name from the `connectors` context value and
 * checks each one with the schema that the functions use at start-up.
 * The value is an object in `cdk.json`, or a JSON string when it is given
 * with `--context connectors=...`.
 *
 * @returns The connectors as given, without schema defaults filled in.
 * @throws Error listing each invalid field by its JSON path. The message
 *   never repeats a value, because connector URLs and headers can carry
 *   credentials.
 */
export function readConnectors(value: unknown): Record<string, unknown> {
  if (value === undefined) {
    return {};
  }
  const connectors = typeof value === 'string' ? parseJson(value) : value;

  const result = ConnectorsContextSchema.safeParse(connectors);
  if (!result.success) {
    const issues = result.error.issues
      .map((issue) => `${toJsonPath(issue.path)}: ${issue.message}`)
      .join('; ');
    throw new Error(
      `Invalid context "connectors": ${issues}. Expected a JSON object that maps route names to connectors, such as ${CONNECTOR_EXAMPLE}.`,
    );
  }
  return connectors as Record<string, unknown>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The SyntaxError is dropped because its message quotes part of the text.
    throw new Error(
      `Invalid context "connectors": the value is not valid JSON. Quote it for the shell, for example --context connectors='${CONNECTOR_EXAMPLE}'.`,
    );
  }
}
