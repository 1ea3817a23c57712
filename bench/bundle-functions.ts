/**
 * Bundles every Lambda function of `defineService` with the stack's own
 * `ServiceFunction` construct, so that esbuild runs with exactly the
 * options that `cdk deploy` uses (ESM, minified, `node22`, the
 * `createRequire` banner, the AWS SDK bundled, a linked source map).
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

import { App, Stack } from 'aws-cdk-lib';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';

import { ServiceFunction } from '../cdk/service-function.ts';
import { PROJECT_ROOT } from '../lib/local/emulator.ts';
import {
  defineService,
  type FunctionDefinition,
  type ServiceDefinition,
} from '../lib/resources.ts';

/** Name of a function in `ServiceDefinition['functions']`. */
export type FunctionKey = keyof ServiceDefinition['functions'];

/** One bundled function. */
export interface FunctionBundle {
  key: FunctionKey;
  definition: FunctionDefinition;
  /** Absolute path of `index.mjs`. */
  modulePath: string;
  moduleBytes: number;
  sourceMapBytes: number;
}

/**
 * Bundles each function into `outputDirectory`, which becomes the cloud
 * assembly folder of a throwaway CDK app.
 *
 * @throws Error naming the entry module when a function's entry is missing.
 */
export function bundleFunctions(outputDirectory: string): FunctionBundle[] {
  const app = new App({ outdir: outputDirectory });
  const stack = new Stack(app, 'LambdaBundleBenchmark');
  const { functions } = defineService('bench');
  const bundles: FunctionBundle[] = [];

  for (const [key, definition] of Object.entries(functions)) {
    if (!existsSync(join(PROJECT_ROOT, definition.entry))) {
      throw new Error(
        `Entry module ${definition.entry} of function ${key} was not found; fix lib/resources.ts or add the module.`,
      );
    }
    const { lambdaFunction } = new ServiceFunction(stack, key, {
      definition,
      projectRoot: PROJECT_ROOT,
      environment: {},
    });
    const asset = lambdaFunction.node.findChild('Code') as Asset;
    const assetDirectory = isAbsolute(asset.assetPath)
      ? asset.assetPath
      : join(outputDirectory, asset.assetPath);
    const modulePath = join(assetDirectory, 'index.mjs');
    bundles.push({
      key: key as FunctionKey,
      definition,
      modulePath,
      moduleBytes: statSync(modulePath).size,
      sourceMapBytes: statSync(`${modulePath}.map`).size,
    });
  }
  return bundles;
}
