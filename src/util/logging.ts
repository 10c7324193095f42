// glog-style log lines, as Caffe writes them (and as tools/extra/parse_log.py reads them):
//   I1122 20:00:28.650434 12345 solver.ts:239] Iteration 100, loss = 0.312
// Lines go to stderr (Caffe's tools run with FLAGS_alsologtostderr); setLogSink() redirects them.

export type Severity = 'I' | 'W' | 'E' | 'F';
const LEVEL: Record<Severity, number> = { I: 0, W: 1, E: 2, F: 3 };

let sink: (line: string) => void = (line) => process.stderr.write(line + '\n');
let minLevel = Number(process.env.GLOG_minloglevel ?? 0);

/** Redirects every log line (tests capture them; the CLI may tee them to a file). */
export function setLogSink(fn: (line: string) => void): () => void {
  const prev = sink;
  sink = fn;
  return () => {
    sink = prev;
  };
}

/** Lines below this severity (0 INFO, 1 WARNING, 2 ERROR) are dropped, like GLOG_minloglevel. */
export function setMinLogLevel(level: number): void {
  minLevel = level;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The glog prefix for `sev` at time `d`, tagged `file:line`. */
export function glogPrefix(sev: Severity, d: Date, where: string, us = d.getMilliseconds() * 1000): string {
  return (
    `${sev}${pad(d.getMonth() + 1)}${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:` +
    `${pad(d.getSeconds())}.${pad(us, 6)} ${process.pid} ${where}]`
  );
}

/** file.ts:line of the code that called log.info/warning/error: V8's structured call sites, two
 *  frames above emit() (no stack string is formatted, so a log line stays cheap). */
function callSite(): string {
  const prepare = Error.prepareStackTrace,
    limit = Error.stackTraceLimit;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    Error.prepareStackTrace = (_e, frames) => frames;
    Error.stackTraceLimit = 2;
    Error.captureStackTrace(holder, emit);
    const f = holder.stack?.[1];
    const file = f?.getFileName(),
      line = f?.getLineNumber();
    if (!file || !line) return 'caffets:0';
    return `${file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1).replace(/\.js$/, '.ts')}:${line}`;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

function emit(sev: Severity, msg: string): void {
  if (LEVEL[sev] < minLevel && sev !== 'F') return;
  const t = performance.timeOrigin + performance.now(); // ms with a fraction: glog prints microseconds
  const d = new Date(Math.floor(t));
  const line = `${glogPrefix(sev, d, callSite(), Math.floor((t % 1000) * 1000))} ${msg}`;
  sink(line.length > 29998 ? line.slice(0, 29998) : line); // glog's LogMessage buffer limit
}

export const log = {
  info: (msg: string) => emit('I', msg),
  warning: (msg: string) => emit('W', msg),
  error: (msg: string) => emit('E', msg),
};
