/**
 * CDK app of closeout-health. It synthesizes one stack for the deployment
 * settings in the CDK context (see `cdk/context-schema.ts`), for example:
 *
 *   npx cdk synth --context stage=prod
 *
 * The AWS Solutions checks of cdk-nag run on every synth, and a finding that
 * is not acknowledged with its reason stops the synth.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { CloseoutHealthStack } from './closeout-health-stack.ts';
import { readDeploymentSettings } from './context.ts';

const app = new App();
const settings = readDeploymentSettings(app.node);

const stack = new CloseoutHealthStack(app, 'CloseoutHealthStack', {
  stackName: `closeout-health-${settings.stage}`,
  description: `closeout-health (${settings.stage}): retention health evaluation, alerting and delivery retries.`,
  settings,
});
Tags.of(stack).add('service', 'closeout-health');
Tags.of(stack).add('stage', settings.stage);

Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

app.synth();
