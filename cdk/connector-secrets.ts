import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

import type { DeploymentSettings } from './context.ts';

/**
 * Lets each grantee read the secrets that the connectors reference, and no
 * other secret. The grant is by secret name: IAM matches the random
 * six-character suffix that Secrets Manager appends to every secret ARN.
 *
 * NOTE: a secret encrypted with a customer managed key also needs
 * `kms:Decrypt` on that key, which this function does not grant.
 */
export function grantConnectorSecrets(
  scope: Construct,
  connectors: DeploymentSettings['connectors'],
  grantees: readonly IGrantable[],
): void {
  const secretNames = new Set(
    Object.values(connectors).map((connector) => connector.secretName),
  );

  // Imported secrets create no resource, so the ids may change freely.
  [...secretNames].sort().forEach((secretName, index) => {
    const secret = Secret.fromSecretNameV2(
      scope,
      `ConnectorSecret${index}`,
      secretName,
    );
    for (const grantee of grantees) {
      secret.grantRead(grantee);
    }
  });
}
