/** Plain-text rendering of the main job's result. */
import type { EvaluationSummary, MainJobResult } from './main-job.ts';

function evaluationLines(
  title: string,
  evaluation: EvaluationSummary,
): string[] {
  const lines = [
    `${title} (as of ${evaluation.asOf}, ${evaluation.today})`,
    `  health: ${evaluation.healthState}, report ${evaluation.reportId}`,
  ];
  if (evaluation.findings.length === 0) {
    lines.push('  findings: none');
  }
  for (const finding of evaluation.findings) {
    lines.push(
      `  finding: ${finding.severity} ${finding.category} for ${finding.subjectId}`,
    );
  }
  const decision = evaluation.releaseDecision;
  lines.push(
    `  release decision for ${decision.closeoutId}: ${decision.state}`,
  );
  for (const reason of decision.reasons) {
    lines.push(`    - ${reason.code}: ${reason.message}`);
  }
  return lines;
}

function alertLines(title: string, plan: MainJobResult['alertPlan']): string[] {
  if (!plan) {
    return [`${title}: none`];
  }
  const lines = [
    `${title}: ${plan.alertPlanId} (${plan.kind}, ${plan.status}) to ${plan.routes.join(', ') || 'no route'}`,
  ];
  for (const delivery of plan.deliveries) {
    const status =
      delivery.response?.statusCode ?? delivery.error ?? 'no response';
    lines.push(
      `  ${delivery.route}: ${delivery.state} (${status}), request ${delivery.request.url}`,
    );
  }
  return lines;
}

/** Renders the result as a short report for a terminal. */
export function renderReport(result: MainJobResult): string {
  const lines = [
    `closeout-health main job, tenant ${result.tenantId}, endpoint ${result.endpoint}`,
    `import: ${result.import.status} closeout ${result.import.closeoutId} (package sha256 ${result.import.packageDigest.slice(0, 12)}...)`,
    '',
    ...evaluationLines('First evaluation', result.initial),
    '',
    ...alertLines('Alert plan', result.alertPlan),
    '',
  ];
  if (result.retryPlan) {
    lines.push(`Retry plan ${result.retryPlan.planId}`);
    for (const decision of result.retryPlan.decisions) {
      lines.push(
        `  ${decision.deliveryId}: ${decision.decision} attempt ${decision.attempt} (${decision.reason}), owner ${decision.owner}, target ${decision.targetResolutionDate}`,
      );
    }
  } else {
    lines.push('Retry plan: none, no delivery is waiting for a retry');
  }
  for (const run of result.workerRuns) {
    lines.push(`Worker run ${run.runId} (${run.mode}): ${run.state}`);
    for (const execution of run.executions) {
      lines.push(
        `  ${execution.deliveryId} attempt ${execution.attempt}: ${execution.outcome}`,
      );
    }
  }
  lines.push('', ...evaluationLines('Final evaluation', result.final), '');
  lines.push(...alertLines('Resolved notice', result.resolvedAlertPlan));
  lines.push(
    `Local receiver: ${result.receiver.requests} requests on ${result.receiver.paths.join(', ') || 'no path'}`,
  );
  return `${lines.join('\n')}\n`;
}
