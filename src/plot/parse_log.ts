// Caffe's tools/extra/parse_log.py as a library: a glog training log (Caffe's or caffets') becomes
// train rows (NumIters, Seconds, LearningRate, every `Train net output #k: name = v`) and test rows
// (the same with `Test net output #k`), and writeParseLogCsv() writes the `<log>.train` /
// `<log>.test` CSV files parse_log.py writes, byte for byte (Python 2's csv module: repr() of the
// floats, excel dialect, CRLF line ends). The algorithm is parse_log.py's, quirks included:
//  - lines count only from the one after the first line containing `Solving` (its time is 0 s) and
//    after the first `Iteration N`; a line's outputs belong to the last iteration seen;
//  - years: glog stamps are MMDD, the year is the log file's ctime year, +1 whenever the month
//    goes down (extract_seconds.py's rollover rule);
//  - a row is complete when it has as many columns as the first row; the first row is pushed when
//    the next one starts, so a table of a single row stays empty (`flushPartial` keeps it);
//  - the first row's LearningRate (NaN: lr is printed after the first outputs) is the second's.
// Where parse_log.py would crash (an empty line, no time stamp on the `Solving` line, a value like
// `1.2.3`) this skips the line or reads NaN. Without any `Solving` line parse_log.py finds nothing;
// this starts the clock at the first time-stamped line instead.
// The log is read as latin1 (bytes, as Python 2 reads it) so names round-trip into the CSV exactly.
// Besides parse_log.py's tables, `loss` holds the solver's total loss of each displayed iteration (the
// `Iteration N (...), loss = X` line, smoothed over average_loss iterations), which parse_log.py skips
// and plot_training_log.py's parse_log.sh charts as the training loss; it is not written to the CSV.
import * as fs from 'fs';
import * as path from 'path';
import { CaffeError, errnoText } from '../util/errors';
import { writeFileAtomic } from '../io/atomic';

/** One table row, columns in parse_log.py's order: NumIters, Seconds, LearningRate, outputs. */
export type LogRow = Map<string, number>;

export interface ParsedLog {
  train: LogRow[];
  test: LogRow[];
  /** NumIters, Seconds and `loss`: the solver's total (smoothed) loss line of each displayed iteration */
  loss: LogRow[];
}

export interface ParseLogOptions {
  /** year of the first time stamp; default: the year of the log file's ctime (as parse_log.py) */
  year?: number;
  /** also keep a last row parse_log.py drops (a table's only row, a row cut short by the log's end) */
  flushPartial?: boolean;
}

const WS = '[ \\t\\n\\v\\f\\r]'; // Python 2 str whitespace (not JS \s, which has NBSP and more)
const RE_ITERATION = /Iteration (\d+)/;
const RE_TRAIN = new RegExp(`Train net output #(\\d+): ([^ \\t\\n\\v\\f\\r]+) = ([.\\deE+-]+)`);
const RE_TEST = new RegExp(`Test net output #(\\d+): ([^ \\t\\n\\v\\f\\r]+) = ([.\\deE+-]+)`);
// Caffe 1.0's `Iteration N (R iter/s, Ts/K iters), loss = X`, and older Caffe's `Iteration N, loss = X`
const RE_LOSS = /Iteration (\d+)(?: \([^)]*\))?, loss = ([^ \t\n\v\f\r]+)/;
const RE_LR = /lr = ([-+]?[0-9]*\.?[0-9]+([eE]?[-+]?[0-9]+)?)/;
const RE_STRIP = new RegExp(`^${WS}+|${WS}+$`, 'g');
const RE_SPLIT = new RegExp(`${WS}+`);

/** Python 2 int(): optional spaces and sign, ASCII digits. */
function pyInt(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)[ \t\n\v\f\r]*$/.exec(s);
  return m ? Number(m[1]) : undefined;
}

interface Stamp {
  month: number;
  us: number;
}

/** extract_seconds.extract_datetime_from_line: `I0210 13:39:22.381027 ...` in `year`; undefined
 *  where Python raises (ValueError: parse_log.py skips the line; IndexError: it would crash). */
export function glogStamp(line: string, year: number): Stamp | undefined {
  const tok = line.replace(RE_STRIP, '').split(RE_SPLIT);
  if (tok.length < 2 || !tok[0]) return undefined;
  const month = pyInt(tok[0].slice(1, 3));
  const day = pyInt(tok[0].slice(3));
  const stamp = tok[1];
  const pos = stamp.lastIndexOf('.');
  const hms = (pos === -1 ? stamp.slice(0, -1) : stamp.slice(0, pos)).split(':').map(pyInt);
  const micro = pyInt(stamp.slice(pos + 1));
  if (month === undefined || day === undefined || micro === undefined || hms.length < 3) return undefined;
  if (hms.some((v) => v === undefined)) return undefined;
  const [h, m, s] = hms as number[];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  if (h > 23 || m > 59 || s > 59 || micro > 999999 || year < 1 || year > 9999) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(h, m, s, 0);
  return { month, us: d.getTime() * 1000 + micro };
}

function netOutput(
  re: RegExp,
  row: LogRow | undefined,
  list: LogRow[],
  line: string,
  iteration: number,
  seconds: number,
  lr: number,
): LogRow | undefined {
  const m = re.exec(line);
  if (m) {
    if (!row || row.get('NumIters') !== iteration) {
      if (row) list.push(row);
      row = new Map([
        ['NumIters', iteration],
        ['Seconds', seconds],
        ['LearningRate', lr],
      ]);
    }
    row.set(m[2], Number(m[3]));
  }
  if (row && list.length >= 1 && row.size === list[0].size) {
    list.push(row);
    row = undefined;
  }
  return row;
}

function fixInitialNanLearningRate(list: LogRow[]): void {
  if (list.length > 1) list[0].set('LearningRate', list[1].get('LearningRate') as number);
}

/** parse_log.parse_log on the text of a log. */
export function parseLogText(text: string, options: ParseLogOptions = {}): ParsedLog {
  let year = options.year ?? new Date().getFullYear();
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  let first = lines.findIndex((l) => l.includes('Solving'));
  if (first < 0) first = lines.findIndex((l) => glogStamp(l, year) !== undefined);
  const start = first >= 0 ? glogStamp(lines[first], year) : undefined;
  const train: LogRow[] = [];
  const test: LogRow[] = [];
  const loss: LogRow[] = [];
  if (!start) return { train, test, loss };
  let iteration = -1;
  let lr = NaN;
  let trainRow: LogRow | undefined;
  let testRow: LogRow | undefined;
  let lastMonth = start.month;
  for (let i = first + 1; i < lines.length; i++) {
    const line = lines[i];
    const it = RE_ITERATION.exec(line);
    if (it) iteration = Number(it[1]);
    if (iteration === -1) continue;
    let t = glogStamp(line, year);
    if (!t) continue;
    if (t.month < lastMonth) {
      year += 1;
      t = glogStamp(line, year);
      if (!t) continue; // e.g. Feb 29 in the next year: parse_log.py crashes here
    }
    lastMonth = t.month;
    const seconds = (t.us - start.us) / 1e6; // timedelta.total_seconds(): integer us / 10**6
    const lrm = RE_LR.exec(line);
    if (lrm) lr = Number(lrm[1]);
    const lm = RE_LOSS.exec(line);
    if (lm) {
      // nan, inf, -nan as C++ prints them: NaN (a gap in a chart)
      loss.push(
        new Map([
          ['NumIters', Number(lm[1])],
          ['Seconds', seconds],
          ['loss', Number(lm[2])],
        ]),
      );
    }
    trainRow = netOutput(RE_TRAIN, trainRow, train, line, iteration, seconds, lr);
    testRow = netOutput(RE_TEST, testRow, test, line, iteration, seconds, lr);
  }
  if (options.flushPartial) {
    if (trainRow) train.push(trainRow);
    if (testRow) test.push(testRow);
  }
  fixInitialNanLearningRate(train);
  fixInitialNanLearningRate(test);
  return { train, test, loss };
}

/** Reads and parses a log file; a missing or unreadable file is a one-line CaffeError. */
export function parseLog(file: string, options: ParseLogOptions = {}): ParsedLog {
  let text: string;
  let year: number;
  try {
    text = fs.readFileSync(file, 'latin1');
    year = options.year ?? fs.statSync(file).ctime.getFullYear();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new CaffeError(`${file}: no such log file`);
    if (err.code === 'EISDIR') throw new CaffeError(`${file}: is a directory, not a log file`);
    throw err.code ? new CaffeError(`${file}: cannot read: ${errnoText(err)}`) : err;
  }
  return parseLogText(text, { ...options, year });
}

/** Python's repr() of a float (2.7 and 3): shortest round-trip digits, exponent form below 1e-4
 *  and from 1e16 on, `.0` on integral values; nan, inf, -inf. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, e] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = Number(e);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (exp >= digits.length - 1) return `${sign}${digits}${'0'.repeat(exp - digits.length + 1)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** csv.DictWriter(excel dialect) text of `rows`: header = the first row's columns, missing = ''. */
export function formatParseLogCsv(rows: LogRow[], delimiter = ','): string {
  if (!rows.length) return '';
  const quote = (s: string) => (s.includes(delimiter) || /["\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const header = [...rows[0].keys()];
  const lines = [header.map(quote).join(delimiter)];
  for (const r of rows)
    lines.push(header.map((k) => (r.has(k) ? pyFloatRepr(r.get(k) as number) : '')).join(delimiter));
  return lines.map((l) => l + '\r\n').join('');
}

/** parse_log.write_csv: writes `rows` to `file` (atomically); like parse_log.py, writes nothing
 *  and returns false when there are no rows. */
export function writeParseLogCsv(rows: LogRow[], file: string, delimiter = ','): boolean {
  if (!rows.length) return false;
  writeFileAtomic(file, Buffer.from(formatParseLogCsv(rows, delimiter), 'latin1'));
  return true;
}

/** parse_log.save_csv_files: `<outDir>/<basename of log>.train` and `.test`; returns those written. */
export function saveParseLogCsvFiles(logFile: string, outDir: string, parsed: ParsedLog, delimiter = ','): string[] {
  const base = path.join(outDir, path.basename(logFile));
  const written: string[] = [];
  if (writeParseLogCsv(parsed.train, `${base}.train`, delimiter)) written.push(`${base}.train`);
  if (writeParseLogCsv(parsed.test, `${base}.test`, delimiter)) written.push(`${base}.test`);
  return written;
}
