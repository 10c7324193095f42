// A failed command's one-line error is the last thing it prints: log lines that arrive after it
// (a prefetch worker's queued "Restarting data prefetching") are dropped.
import { main } from '../../src/cli/main';
import { log, setLogSink } from '../../src/util/logging';

test('nothing is logged after the error line', async () => {
  const written: string[] = [];
  const restore = setLogSink((l) => written.push(l));
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    written.push(String(s));
    return true;
  });
  const exitCode = process.exitCode;
  try {
    await main(['train', '--solver=/nonexistent/solver.prototxt']);
    log.info('Restarting data prefetching from start.');
    const last = written[written.length - 1];
    expect(last).toMatch(/^caffets: .*nonexistent/);
    expect(written.filter((l) => l.includes('Restarting'))).toEqual([]);
    expect(process.exitCode).not.toBe(0);
  } finally {
    spy.mockRestore();
    restore();
    process.exitCode = exitCode;
  }
});
