/**
 * CDK app of closeout-health. It synthesizes one stack for the stage in the
 * `stage` context value (default `dev`), for example:
 *
 *   npx cdk synth --context stage=prod
 */
import { App, Tags } from 'aws-cdk-lib';

import { CloseoutHealthStack } from './closeout-health-stack.ts';
import { readConnectors, readStage } from './context.ts';

const app = new App();
const stage = readStage(app.node.tryGetContext('stage'));

const stack = new CloseoutHealthStack(app, 'CloseoutHealthStack', {
  stackName: `closeout-health-${stage}`,
  description: `closeout-health (${stage}): retention health evaluation, alerting and delivery retries.`,
  stage,
  connectors: readConnectors(app.node.tryGetContext('connectors')),
});
Tags.of(stack).add('service', 'closeout-health');
Tags.of(stack).add('stage', stage);

app.synth();
