import { formatDemoReport } from '../../demo/report.js';
import { runDemo } from '../../demo/run-demo.js';
import { printResult, progress, type OutputFormat } from '../output.js';

interface DemoCliOptions {
  registry?: string;
  keep?: boolean;
  output: OutputFormat;
}

/** `meshwasm demo`: the whole loop on one machine, then a short report. */
export async function demo(opts: DemoCliOptions): Promise<void> {
  const report = await runDemo({ registry: opts.registry, keep: opts.keep, onStep: (s) => progress(`demo: ${s}`) });
  printResult(opts.output, report, () => formatDemoReport(report));
}
