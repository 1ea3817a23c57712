/**
 * Copies the deployed functions' CloudWatch Logs into one file, so that a
 * failed run leaves the handlers' own log lines for its reader.
 */
import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  type CloudWatchLogsClient,
  paginateDescribeLogGroups,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';

/** Maximum number of events kept from each log group, the latest ones. */
const MAX_EVENTS_PER_GROUP = 2000;

/**
 * Writes the log events of every log group whose name contains `stackName`
 * to a new file and returns its path.
 */
export async function saveFunctionLogs(
  logs: CloudWatchLogsClient,
  stackName: string,
): Promise<string> {
  const sections: string[] = [];
  for await (const page of paginateDescribeLogGroups({ client: logs }, {})) {
    for (const group of page.logGroups ?? []) {
      const name = group.logGroupName ?? '';
      if (name.includes(stackName)) {
        sections.push(await readLogGroup(logs, name));
      }
    }
  }

  const folder = mkdtempSync(join(tmpdir(), 'closeout-e2e-logs-'));
  const file = join(folder, 'function-logs.txt');
  await writeFile(file, sections.join('\n') || '(no log group found)\n');
  return file;
}

async function readLogGroup(
  logs: CloudWatchLogsClient,
  logGroupName: string,
): Promise<string> {
  const lines: string[] = [];
  const pages = paginateFilterLogEvents({ client: logs }, { logGroupName });
  for await (const page of pages) {
    for (const event of page.events ?? []) {
      const time = new Date(event.timestamp ?? 0).toISOString();
      lines.push(`${time} ${event.message?.trimEnd() ?? ''}`);
    }
  }
  const latest = lines.slice(-MAX_EVENTS_PER_GROUP);
  return `== ${logGroupName} (${latest.length} of ${lines.length} events)\n${latest.join('\n')}\n`;
}
