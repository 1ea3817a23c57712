/**
 * Benchmark of the Lambda bundles: the size of each function's minified
 * bundle and its cold module-load time, against the targets of 800 KiB and
 * 300 ms. Prints a Markdown report; `--write FILE` also stores it.
 *
 *   npm run bench -- --samples 15 --write bench/RESULTS.md
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { PROJECT_ROOT } from '../lib/local/emulator.ts';
import { bundleFunctions, type FunctionBundle } from './bundle-functions.ts';
import {
  type LoadSample,
  percentile,
  sampleModuleLoad,
} from './module-load.ts';

const MAX_BUNDLE_KIB = 800;
const MAX_IMPORT_MS = 300;

interface Measurement {
  bundle: FunctionBundle;
  samples: LoadSample[];
}

function packageVersion(name: string): string {
  const file = join(PROJECT_ROOT, 'node_modules', name, 'package.json');
  return JSON.parse(readFileSync(file, 'utf8')).version;
}

function cpuModel(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
}

/**
 * Listens on 127.0.0.1 and counts connections, so that the report can show
 * that loading a bundle sends nothing to its AWS endpoint.
 */
async function startCountingEndpoint() {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Settings that the functions read when their module loads; dummy values. */
function functionEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: 'closeout-health-bench',
    // The stack sets this for every function, and it changes load work.
    NODE_OPTIONS: '--enable-source-maps',
    TABLE_NAME: 'closeout-health-bench-evidence',
    ALERT_TOPIC_ARN:
      'arn:aws:sns:us-east-1:000000000000:closeout-health-bench-alerts',
    RETRY_QUEUE_URL: `${endpoint}/000000000000/closeout-health-bench-delivery-retry`,
    EVALUATION_ZONE: 'UTC',
    WARNING_DAYS: '30',
    CRITICAL_DAYS: '7',
    CONNECTORS: '{}',
    POWERTOOLS_SERVICE_NAME: 'closeout-health',
    POWERTOOLS_METRICS_NAMESPACE: 'CloseoutHealth',
  };
}

/** Cells of one table row, in the order of {@link COLUMNS}. */
function rowCells({ bundle, samples }: Measurement): string[] {
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  const imports = samples.map((sample) => sample.importMs);
  const processes = samples.map((sample) => sample.processMs);
  const importP90 = percentile(imports, 90);
  const withinTargets =
    bundle.moduleBytes / 1024 < MAX_BUNDLE_KIB && importP90 < MAX_IMPORT_MS;
  return [
    bundle.key,
    `\`${bundle.definition.entry}\``,
    kib(bundle.moduleBytes),
    kib(bundle.sourceMapBytes),
    percentile(imports, 50).toFixed(1),
    importP90.toFixed(1),
    percentile(processes, 50).toFixed(1),
    withinTargets ? 'yes' : '**no**',
  ];
}

/** Table columns; numbers are right-aligned. */
const COLUMNS = [
  { title: 'Function', numeric: false },
  { title: 'Entry', numeric: false },
  { title: 'Bundle (KiB)', numeric: true },
  { title: 'Source map (KiB)', numeric: true },
  { title: 'Import median (ms)', numeric: true },
  { title: 'Import p90 (ms)', numeric: true },
  { title: 'Process median (ms)', numeric: true },
  { title: 'Within targets', numeric: false },
];

/** Formats a Markdown table with padded columns, which read as plain text. */
function markdownTable(rows: string[][]): string {
  const widths = COLUMNS.map((column, index) =>
    Math.max(
      column.title.length,
      ...rows.map((row) => row[index]?.length ?? 0),
    ),
  );
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const pad = (text: string, index: number) => {
    const width = widths[index] ?? 0;
    return COLUMNS[index]?.numeric ? text.padStart(width) : text.padEnd(width);
  };

  const header = line(COLUMNS.map((column, index) => pad(column.title, index)));
  const separator = line(
    COLUMNS.map((column, index) => {
      const width = widths[index] ?? 3;
      return column.numeric ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width);
    }),
  );
  const body = rows.map((row) => line(row.map(pad)));
  return [header, separator, ...body].join('\n');
}

function report(
  measurements: Measurement[],
  samples: number,
  loadAverage: number[],
): string {
  const memoryGiB = (totalmem() / 1024 ** 3).toFixed(1);
  const load = loadAverage.map((value) => value.toFixed(2)).join(', ');
  const busy =
    (loadAverage[0] ?? 0) > availableParallelism()
      ? ' (more runnable processes than CPUs: other work shared the CPUs, so the times are likely higher than on an idle machine)'
      : '';
  return `# Lambda bundle benchmark

Size of each function's bundle and its cold module-load time. The bundles
come from the stack's own \`ServiceFunction\` construct, so esbuild runs with
the options of \`cdk deploy\`. Each load sample is a fresh \`node\` process
that imports the bundle once, with dummy settings and an AWS endpoint on
127.0.0.1 that counts connections. One discarded warm-up load per function
comes first.

- Command: \`npm run bench -- --samples ${samples} --write bench/RESULTS.md\`
- Date: ${new Date().toISOString()}
- Machine: ${availableParallelism()} CPUs (\`nproc\`), ${cpuModel()}, ${memoryGiB} GiB memory
- Load average (1, 5, 15 min) at the start: ${load}${busy}
- Node.js ${process.version}, esbuild ${packageVersion('esbuild')}, aws-cdk-lib ${packageVersion('aws-cdk-lib')}
- Targets: bundle under ${MAX_BUNDLE_KIB} KiB minified, import p90 under ${MAX_IMPORT_MS} ms
- Samples: ${samples} a function

${markdownTable(measurements.map(rowCells))}

"Process" is the time from spawning \`node\` to its exit, so it adds Node's
own start-up to the import. Lambda runs the bundles on Node.js 22 on arm64;
these figures come from the machine above, so they show relative cost and
trends, not Lambda's init duration.
`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      samples: { type: 'string', default: '15' },
      write: { type: 'string' },
    },
  });
  const sampleCount = Number(values.samples);
  if (!Number.isInteger(sampleCount) || sampleCount < 1) {
    throw new Error(
      `Invalid --samples "${values.samples}": expected a positive integer.`,
    );
  }

  const loadAverage = loadavg();
  const outputDirectory = mkdtempSync(join(tmpdir(), 'closeout-bench-'));
  const endpoint = await startCountingEndpoint();
  try {
    console.error('bundling the functions with ServiceFunction');
    const bundles = bundleFunctions(outputDirectory);
    const environment = functionEnvironment(endpoint.url);
    const measurements: Measurement[] = bundles.map((bundle) => ({
      bundle,
      samples: [],
    }));

    for (const { bundle } of measurements) {
      await sampleModuleLoad(bundle.modulePath, environment);
    }
    // Round-robin over the functions, so that a noisy second hits them all.
    for (let index = 0; index < sampleCount; index += 1) {
      for (const measurement of measurements) {
        measurement.samples.push(
          await sampleModuleLoad(measurement.bundle.modulePath, environment),
        );
      }
    }
    if (endpoint.connections() > 0) {
      throw new Error(
        `Loading the bundles opened ${endpoint.connections()} connections to the AWS endpoint; module load must not call AWS.`,
      );
    }

    const text = report(measurements, sampleCount, loadAverage);
    console.log(text);
    if (values.write) {
      writeFileSync(values.write, text);
      console.error(`wrote ${values.write}`);
    }
  } finally {
    await endpoint.close();
    rmSync(outputDirectory, { recursive: true, force: true });
  }
}

await main();
