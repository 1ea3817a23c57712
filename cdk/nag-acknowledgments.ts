import { type Stack, Validations } from 'aws-cdk-lib';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges the cdk-nag AWS Solutions findings that the stack keeps on
 * purpose, each on the resources it concerns and with its reason. Every
 * other finding stops `cdk synth`.
 */
export function acknowledgeNagFindings(stack: Stack): void {
  for (const fn of stack.node.findAll().filter(isLambdaFunction)) {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The functions run on nodejs22.x on purpose, because the bundles target node22. Moving to a newer runtime is an upgrade of its own, with its own tests, and not a linter fix.',
    });
  }

  const scheduleDeadLetterQueue = stack.node.tryFindChild(
    'EvaluationScheduleDeadLetterQueue',
  );
  if (scheduleDeadLetterQueue) {
    Validations.of(scheduleDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the evaluation schedule: of the EventBridge target and of the on-failure destination of evaluate-health. cdk-nag recognizes only dead-letter queues named in a redrive policy.',
    });
  }
}

function isLambdaFunction(construct: IConstruct): boolean {
  return construct instanceof LambdaFunction;
}
