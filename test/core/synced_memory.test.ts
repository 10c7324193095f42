// SyncedMemory's host allocation: lazy, zeroed, and out of memory as one CaffeError line.
import * as os from 'os';
import { SyncedMemory } from '../../src/core/synced_memory';
import { CaffeError } from '../../src/util/errors';

jest.mock('os', () => {
  const actual = jest.requireActual('os');
  return { ...actual, freemem: jest.fn(() => actual.freemem()) };
});
const freemem = os.freemem as jest.MockedFunction<typeof os.freemem>;

afterEach(() => freemem.mockClear());

test('allocates zeroed host memory on first use', () => {
  const m = new SyncedMemory(5);
  expect(m.head).toBe('UNINITIALIZED');
  expect(Array.from(m.cpuData())).toEqual([0, 0, 0, 0, 0]);
  expect(m.head).toBe('HEAD_AT_CPU');
});

test('a blob larger than the memory available is refused in one line before allocating', () => {
  freemem.mockReturnValue(2 ** 30); // 1 GB available
  const m = new SyncedMemory(2 ** 29); // 2 GB of floats
  let err: unknown;
  try {
    m.mutableCpuData();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CaffeError);
  expect((err as Error).message).toBe('out of memory: a blob of 2.0 GB does not fit in the 1.0 GB available');
  expect(m.head).toBe('UNINITIALIZED');
});

test('small blobs are not checked (no system call per allocation)', () => {
  freemem.mockReturnValue(0);
  expect(new SyncedMemory(1000).cpuData()).toHaveLength(1000);
  expect(freemem).not.toHaveBeenCalled();
});
