// The Net's memory estimate at set-up (NetMemory) on a small net counted by hand, the one-line refusal
// during set-up and after it, and CAFFETS_MEMORY_AVAILABLE_BYTES.
import { Net } from '../../src/net';
import { NetMemory } from '../../src/net/net_memory';
import { CaffeError } from '../../src/util/errors';
import { MEMORY_ENV, bytesText, memoryAvailable } from '../../src/util/memory';
import { captureLog, netParam } from './support';

const NET = `name: "m"
layer { name: "data" type: "Input" top: "data" top: "label"
  input_param { shape { dim: 2 dim: 3 } shape { dim: 2 dim: 4 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 4 } }
layer { name: "relu" type: "ReLU" bottom: "ip" top: "ip" }
layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "label" top: "loss" }
`;

const build = () => captureLog(() => new Net(netParam(NET), { phase: 'TRAIN' })).result;

function withAvailable<T>(bytes: string | undefined, f: () => T): T {
  const prev = process.env[MEMORY_ENV];
  if (bytes === undefined) delete process.env[MEMORY_ENV];
  else process.env[MEMORY_ENV] = bytes;
  try {
    return f();
  } finally {
    if (prev === undefined) delete process.env[MEMORY_ENV];
    else process.env[MEMORY_ENV] = prev;
  }
}

function error(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CaffeError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('NetMemory', () => {
  it('counts each buffer once: data, the diffs backward reaches, parameters with diffs, layer buffers', () => {
    const net = withAvailable('1000000', build);
    const m = NetMemory.ofNet(net);
    // data: tops data 2x3 and label 2x4
    // ip: top 2x4 + its diff (backward reaches it), weights 4x3 and bias 4 with their diffs (training),
    //     bias multiplier 2
    // relu: in place, nothing new
    // loss: top 1 and its diff (the loss weight), EuclideanLoss's own difference buffer 2x4
    expect(m.byLayer.map((b) => b / 4)).toEqual([6 + 8, 8 + 8 + 2 * (12 + 4) + 2, 0, 1 + 1 + 8]);
    expect(m.total).toBe(4 * 74);
  });

  it('refuses during set-up the layer that passes the memory available, naming the net and the largest layer', () => {
    // data 56 bytes, then ip: 224 in all without the diffs of its top
    expect(error(() => withAvailable('200', build))).toBe(
      'out of memory: net "m" needs more than 224 bytes by layer ip, 200 bytes available (estimated: blobs, ' +
        'gradients, parameters, layer buffers; the largest, layer ip, takes 168 bytes)',
    );
  });

  it('refuses after set-up a net whose gradients do not fit', () => {
    // set-up ends at 260 bytes; the diffs of ip's top make 296
    expect(error(() => withAvailable('290', build))).toMatch(
      /^out of memory: net "m" needs 296 bytes, 290 bytes available \(estimated: .*, layer ip, takes 200 bytes\)$/,
    );
    expect(withAvailable('296', build).layers).toHaveLength(4);
  });
});

describe('memoryAvailable', () => {
  it('reads CAFFETS_MEMORY_AVAILABLE_BYTES, refusing what is not a number of bytes in one line', () => {
    expect(withAvailable('1e9', memoryAvailable)).toBe(1e9);
    expect(withAvailable(undefined, memoryAvailable)).toBeGreaterThan(0);
    expect(error(() => withAvailable('lots', memoryAvailable))).toBe(
      'CAFFETS_MEMORY_AVAILABLE_BYTES must be a number of bytes, not "lots"',
    );
    expect(error(() => withAvailable('-1', memoryAvailable))).toMatch(/must be a number of bytes/);
  });

  it('writes sizes in GB, MB or bytes', () => {
    expect([bytesText(37.25 * 2 ** 30), bytesText(512 * 2 ** 20), bytesText(96)]).toEqual([
      '37.3 GB',
      '512.0 MB',
      '96 bytes',
    ]);
  });
});
