/**
 * AWS SDK clients, created once per process. Each takes its endpoint from the
 * standard SDK settings, such as `AWS_ENDPOINT_URL`, so the same code talks to
 * AWS, LocalStack, MiniStack or moto.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClients {
  dynamodb: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  sns: SNSClient;
  sqs: SQSClient;
}

let shared: AwsClients | undefined;

/** Returns the clients of this process, creating them on first use. */
export function awsClients(): AwsClients {
  if (!shared) {
    const dynamodb = new DynamoDBClient({});
    shared = {
      dynamodb,
      documents: DynamoDBDocumentClient.from(dynamodb, {
        marshallOptions: { removeUndefinedValues: true },
      }),
      sns: new SNSClient({}),
      sqs: new SQSClient({}),
    };
  }
  return shared;
}
