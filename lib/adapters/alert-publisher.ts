import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertPlan } from '../domain/alert-plan.ts';

/** Publishes alert plans to the alert topic, where subscribers pick them up. */
export class AlertPublisher {
  readonly #sns: SNSClient;
  readonly #topicArn: string;

  constructor(sns: SNSClient, topicArn: string) {
    this.#sns = sns;
    this.#topicArn = topicArn;
  }

  /** Publishes the plan and returns the SNS message id. */
  async publish(plan: AlertPlan): Promise<string> {
    const result = await this.#sns.send(
      new PublishCommand({
        TopicArn: this.#topicArn,
        Subject: `closeout-health ${plan.kind}: ${plan.payload.healthState}`,
        Message: JSON.stringify(plan),
        MessageAttributes: {
          tenantId: { DataType: 'String', StringValue: plan.tenantId },
          kind: { DataType: 'String', StringValue: plan.kind },
          healthState: {
            DataType: 'String',
            StringValue: plan.payload.healthState,
          },
        },
      }),
    );
    return result.MessageId ?? '';
  }
}
