import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';

import type { ServiceDefinition } from '#lib/resources.ts';
import { ServiceFunction } from './service-function.ts';
import { grantTableAccess, type TableAccess } from './storage.ts';

/** Key of a function in the service definition, such as `evaluateHealth`. */
export type FunctionKey = keyof ServiceDefinition['functions'];

/** Settings of one function beyond those that every function gets. */
export interface FunctionOptions {
  /**
   * Environment variables of this function alone.
   *
   * @default {}
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Access to the evidence table beyond the item actions.
   *
   * @default {}
   */
  readonly tableAccess?: TableAccess;
}

/** Settings that every function of the stack shares. */
export interface FunctionWiringProps {
  /** Absolute path of the project root, which contains `package-lock.json`. */
  readonly projectRoot: string;
  readonly service: ServiceDefinition;
  /** The evidence table, which every function reads and writes. */
  readonly table: Table;
  /** Environment variables of every function. */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * Creates the functions of the definition with the shared settings, so that
 * adding a function to the stack takes one call of {@link add}.
 */
export class FunctionWiring {
  constructor(
    private readonly scope: Construct,
    private readonly props: FunctionWiringProps,
  ) {}

  /**
   * Creates the function `key` with the construct id of its key in
   * PascalCase, such as `EvaluateHealth`, and grants it the table access.
   */
  add(key: FunctionKey, options: FunctionOptions = {}): NodejsFunction {
    const { projectRoot, service, table } = this.props;
    const id = key.charAt(0).toUpperCase() + key.slice(1);

    const { lambdaFunction } = new ServiceFunction(this.scope, id, {
      definition: service.functions[key],
      projectRoot,
      environment: { ...this.props.environment, ...options.environment },
    });
    grantTableAccess(table, lambdaFunction, options.tableAccess);
    return lambdaFunction;
  }
}
