/**
 * Reads the deployment settings from the CDK context. An invalid value
 * raises an error at synth time that names the setting, such as
 * `jwt.issuer`, and states what is expected.
 */
import type { Node } from 'constructs';

import {
  CONTEXT_KEYS,
  type DeploymentSettings,
  DeploymentSettingsSchema,
} from './context-schema.ts';

export type { DeploymentSettings } from './context-schema.ts';

/** Formats a zod issue path as a setting name: `connectors.grc.secretName`. */
function settingName(path: readonly PropertyKey[]): string {
  let name = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      name += `[${segment}]`;
    } else {
      name += name === '' ? String(segment) : `.${String(segment)}`;
    }
  }
  return name || 'context';
}

/**
 * Checks raw context values and fills in the defaults.
 *
 * @param values - context values by key, as `cdk.json` or `--context` give
 *   them; keys that are not settings are ignored.
 * @throws Error listing each invalid setting by name with what it expects.
 */
export function parseDeploymentSettings(
  values: Readonly<Record<string, unknown>>,
): DeploymentSettings {
  const settingValues = Object.fromEntries(
    CONTEXT_KEYS.filter((key) => values[key] !== undefined).map((key) => [
      key,
      values[key],
    ]),
  );

  const result = DeploymentSettingsSchema.safeParse(settingValues);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `"${settingName(issue.path)}": ${issue.message}`,
    );
    throw new Error(
      `Invalid CDK context ${issues.join('; ')}. Set the value in the "context" object of cdk.json, or pass --context KEY=VALUE.`,
    );
  }
  return result.data;
}

/** Reads the deployment settings from the context of `node`. */
export function readDeploymentSettings(node: Node): DeploymentSettings {
  const values = Object.fromEntries(
    CONTEXT_KEYS.map((key) => [key, node.tryGetContext(key)]),
  );
  return parseDeploymentSettings(values);
}
