// A one-line progress bar on a terminal (stderr, redrawn in place, at most ~10 times a second).
// Off a terminal it draws nothing: the glog lines are the progress report there. While the bar is
// shown, log lines are routed around it (the bar is wiped, the line written, the bar redrawn).
import { setLogSink } from './logging';

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export class ProgressBar {
  private done = 0;
  private lastDraw = 0;
  private note = '';
  private readonly start = Date.now();
  private readonly active: boolean;
  private restoreSink?: () => void;

  constructor(
    private readonly total: number,
    private readonly label = '',
    private readonly stream: ProgressStream = process.stderr,
    enabled = true,
  ) {
    this.active = enabled && !!stream.isTTY && total > 0;
    if (this.active) {
      this.restoreSink = setLogSink((line) => {
        this.stream.write(`\r\x1b[K${line}\n`);
        this.draw();
      });
    }
  }

  /** Counts `n` more items done (`note`, e.g. the current loss, shown after the rate); redraws when due. */
  tick(n = 1, note?: string): void {
    this.done += n;
    if (note !== undefined) this.note = note;
    if (!this.active) return;
    const now = Date.now();
    if (now - this.lastDraw >= 100 || this.done >= this.total) {
      this.lastDraw = now;
      this.draw();
    }
  }

  /** Removes the bar and gives log lines back to their sink. */
  finish(): void {
    if (!this.active) return;
    this.stream.write('\r\x1b[K');
    this.restoreSink?.();
    this.restoreSink = undefined;
  }

  /** The text of the bar: `label [=====>    ] 123/1000 12% 45.6/s eta 19s note`. */
  render(width = this.stream.columns || 80): string {
    const frac = Math.min(1, this.done / this.total);
    const secs = Math.max(1e-3, (Date.now() - this.start) / 1000),
      rate = this.done / secs;
    const eta = this.done > 0 && this.done < this.total ? ` eta ${formatSeconds((this.total - this.done) / rate)}` : '';
    const tail =
      ` ${this.done}/${this.total} ${Math.floor(frac * 100)}% ${rate.toFixed(1)}/s${eta}` +
      `${this.note ? ` ${this.note}` : ''}`;
    const head = this.label ? `${this.label} ` : '';
    const barLen = Math.max(10, Math.min(40, width - head.length - tail.length - 3));
    const full = Math.floor(frac * barLen);
    const bar = '='.repeat(full) + (full < barLen ? '>' + ' '.repeat(barLen - full - 1) : '');
    return `${head}[${bar}]${tail}`;
  }

  private draw(): void {
    this.stream.write(`\r\x1b[K${this.render()}`);
  }
}

/** 42s, 3m05s, 1h02m */
function formatSeconds(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor(t / 60) % 60).padStart(2, '0')}m`;
}
