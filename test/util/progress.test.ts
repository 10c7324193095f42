// The terminal progress line: drawn only on a TTY, with the rate, an ETA while unfinished, and a note
// (train shows the smoothed loss there).
import { ProgressBar } from '../../src/util/progress';

describe('ProgressBar', () => {
  it('shows count, percentage, rate, ETA and the note of the last tick', () => {
    const writes: string[] = [];
    const bar = new ProgressBar(1000, 'train', { isTTY: true, columns: 100, write: (x: string) => writes.push(x) });
    bar.tick(250, 'loss 0.312');
    const line = bar.render();
    expect(line).toMatch(/^train \[=+>\s*\] 250\/1000 25% [\d.]+\/s eta \d+(s|m\d\ds|h\d\dm) loss 0\.312$/);
    bar.tick(750);
    expect(bar.render()).toMatch(/ 1000\/1000 100% [\d.]+\/s loss 0\.312$/); // no ETA once done; the note stays
    bar.finish();
    expect(writes[writes.length - 1]).toBe('\r\x1b[K');
  });

  it('draws nothing off a terminal', () => {
    const writes: string[] = [];
    const bar = new ProgressBar(10, 'train', { isTTY: false, write: (x: string) => writes.push(x) });
    bar.tick(10, 'loss 1');
    bar.finish();
    expect(writes).toEqual([]);
  });
});
