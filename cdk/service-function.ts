import path from 'node:path';

import { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

import type { FunctionDefinition } from '#lib/resources.ts';

/**
 * Defines `require` at the top of the ESM bundle. An ES module has no
 * `require`, so without it a bundled CommonJS dependency that loads a Node.js
 * built-in fails with esbuild's "Dynamic require of ... is not supported".
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as createRequireForBundle } from 'node:module';" +
  'const require = createRequireForBundle(import.meta.url);';

/** Properties of a {@link ServiceFunction}. */
export interface ServiceFunctionProps {
  /** Entry module, timeout and memory of the function. */
  readonly definition: FunctionDefinition;
  /** Absolute path of the project root, which contains `package-lock.json`. */
  readonly projectRoot: string;
  /** Environment variables of the function. */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * A Lambda function of closeout-health with the project's defaults: Node.js
 * 22 on arm64, an ESM bundle built by the local esbuild, and its own log
 * group that keeps events for one month.
 */
export class ServiceFunction extends Construct {
  /** The bundled Lambda function. */
  readonly lambdaFunction: NodejsFunction;
  /** The log group that receives the function's logs. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const { definition, projectRoot } = props;

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: RetentionDays.ONE_MONTH,
    });

    this.lambdaFunction = new NodejsFunction(this, 'Function', {
      entry: path.join(projectRoot, definition.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(definition.timeoutSeconds),
      memorySize: definition.memoryMiB,
      logGroup: this.logGroup,
      environment: {
        ...props.environment,
        // Maps stack traces of the minified bundle back to the TypeScript.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        banner: ESM_REQUIRE_BANNER,
        mainFields: ['module', 'main'],
        // Bundles the AWS SDK too, so that Lambda runs the SDK version from
        // package-lock.json instead of the one that the runtime provides.
        externalModules: [],
        forceDockerBundling: false,
      },
    });
  }
}
