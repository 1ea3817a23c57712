import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type {
  DestinationConfig,
  IDestination,
  IFunction,
} from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

import { grantSendMessages } from './messaging.ts';
import { MESSAGE_KEY_ACTIONS } from './messaging-key.ts';

/**
 * Retries of one scheduled evaluation, by EventBridge and by Lambda alike.
 * The next run evaluates again as of its own time, so a run that is an hour
 * late has lost its value and goes to the dead-letter queue instead.
 */
const SCHEDULE_RETRY = { retryAttempts: 2, maxEventAge: Duration.hours(1) };

/** Settings of the evaluation schedule. */
export interface EvaluationScheduleProps {
  /** EventBridge schedule expression, such as `rate(1 hour)`. */
  readonly expression: string;
  /** The evaluate-health function. */
  readonly target: IFunction;
  /** Queue that receives the runs that failed after their retries. */
  readonly deadLetterQueue: Queue;
  /** Key that encrypts the dead-letter queue. */
  readonly key: Key;
}

/** Sends failed asynchronous invocations to a queue of the service. */
class QueueOnFailure implements IDestination {
  constructor(private readonly queue: Queue) {}

  bind(_scope: Construct, fn: IFunction): DestinationConfig {
    // Lambda sends with the function's role. `SqsDestination` would grant
    // wildcard key actions, so the grant names each action instead.
    grantSendMessages(this.queue, fn);
    return { destination: this.queue.queueArn };
  }
}

/**
 * Creates the rule `EvaluationSchedule` that invokes evaluate-health. A run
 * goes to the dead-letter queue when EventBridge cannot invoke the function
 * or when the function fails, in both cases after {@link SCHEDULE_RETRY}.
 */
export function createEvaluationSchedule(
  scope: Construct,
  props: EvaluationScheduleProps,
): Rule {
  const { target, deadLetterQueue } = props;

  // EventBridge encrypts what it sends to the dead-letter queue with the
  // key. The queue policy that CDK adds lets only this rule send.
  // NOTE: the statement has no aws:SourceArn condition, because it is not
  // verified here that EventBridge passes that key in its KMS requests.
  props.key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowEventBridgeToEncryptDeadLetters',
      principals: [new ServicePrincipal('events.amazonaws.com')],
      actions: MESSAGE_KEY_ACTIONS,
      resources: ['*'],
    }),
  );

  target.configureAsyncInvoke({
    ...SCHEDULE_RETRY,
    onFailure: new QueueOnFailure(deadLetterQueue),
  });

  return new Rule(scope, 'EvaluationSchedule', {
    description: 'Starts the periodic health evaluation.',
    schedule: Schedule.expression(props.expression),
    targets: [
      new LambdaFunction(target, { ...SCHEDULE_RETRY, deadLetterQueue }),
    ],
  });
}
