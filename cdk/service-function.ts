import path from 'node:path';

import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
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

/** Powertools settings of a function whose props do not set them. */
export const POWERTOOLS_DEFAULTS = {
  serviceName: 'closeout-health',
  metricsNamespace: 'CloseoutHealth',
  logLevel: 'INFO',
} as const;

/** Powertools log levels, from the most to the least verbose. */
export type PowertoolsLogLevel =
  | 'TRACE'
  | 'DEBUG'
  | 'INFO'
  | 'WARN'
  | 'ERROR'
  | 'CRITICAL'
  | 'SILENT';

/** Properties of a {@link ServiceFunction}. */
export interface ServiceFunctionProps {
  /** Entry module, timeout and memory of the function. */
  readonly definition: FunctionDefinition;
  /** Absolute path of the project root, which contains `package-lock.json`. */
  readonly projectRoot: string;
  /**
   * Environment variables of the function, besides the Powertools settings
   * that this construct sets.
   *
   * @default {}
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Days that the function's log group keeps log events.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Service name of the Powertools logger and the `service` dimension of
   * every metric, set as `POWERTOOLS_SERVICE_NAME`.
   *
   * @default 'closeout-health'
   */
  readonly serviceName?: string;
  /**
   * CloudWatch namespace of the metrics, set as
   * `POWERTOOLS_METRICS_NAMESPACE`.
   *
   * @default 'CloseoutHealth'
   */
  readonly metricsNamespace?: string;
  /**
   * Level of the Powertools logger, set as `POWERTOOLS_LOG_LEVEL`.
   *
   * @default 'INFO'
   */
  readonly logLevel?: PowertoolsLogLevel;
}

/**
 * A Lambda function of closeout-health with the project's defaults: Node.js
 * 22 on arm64, a minified ESM bundle with source maps built by the local
 * esbuild, the AWS SDK bundled, and a log group of its own. Its role may
 * write to that log group and nothing else until the stack grants more.
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
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });

    // A role of its own replaces AWSLambdaBasicExecutionRole, which would
    // let the function write to every log group of the account.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${id} function of closeout-health.`,
    });
    this.logGroup.grantWrite(role);

    this.lambdaFunction = new NodejsFunction(this, 'Function', {
      entry: path.join(projectRoot, definition.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(definition.timeoutSeconds),
      memorySize: definition.memoryMiB,
      role,
      logGroup: this.logGroup,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME:
          props.serviceName ?? POWERTOOLS_DEFAULTS.serviceName,
        POWERTOOLS_METRICS_NAMESPACE:
          props.metricsNamespace ?? POWERTOOLS_DEFAULTS.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? POWERTOOLS_DEFAULTS.logLevel,
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
