// `caffets plot LOGFILE...`: the charts of plot/plot.ts and the CSV tables of plot/parse_log.ts.
import * as path from 'path';
import { parseLog, saveParseLogCsvFiles } from '../plot/parse_log';
import { PlotOptions, checkChartType, chartFormat, loadLogs, writeChart } from '../plot/plot';
import { log } from '../util/logging';

export interface PlotCommandOptions extends PlotOptions {
  /** the chart file; default `<first log>.png`, or no chart when `csv` is set */
  output?: string;
  /** also (or, without `output`, only) write parse_log.py's `<log>.train` / `<log>.test` beside each log */
  csv?: boolean;
}

/** `caffets plot LOGFILE... [--output=F] [--chart=N] [--csv]`: returns the files written. */
export async function plotCommand(files: string[], o: PlotCommandOptions): Promise<string[]> {
  checkChartType(o.chart);
  const out = !o.csv || o.output !== undefined ? (o.output ?? `${files[0]}.png`) : undefined;
  if (out !== undefined) chartFormat(out);
  const logs = loadLogs(files, o.year); // one clear line for a missing log or one without iterations
  const written: string[] = [];
  if (o.csv) {
    for (const l of logs)
      written.push(...saveParseLogCsvFiles(l.file, path.dirname(l.file), parseLog(l.file, { year: o.year })));
  }
  if (out !== undefined) {
    await writeChart(logs, out, o);
    written.push(out);
  }
  for (const f of written) log.info(`Wrote ${f}`);
  return written;
}
