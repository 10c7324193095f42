// SyncedMemory across devices: memory used on one device and then asked for on another (the current
// device changed: a library user closing one GPU and opening another) moves there through the host, and
// the old buffer is freed; data held only by a closed device is one CaffeError line, never a native
// crash (buffer ids of a closed device must not reach another device's worker).
import '../../src/layers';
import { Blob } from '../../src/core/blob';
import { resetTransfers, transfers } from '../../src/core/synced_memory';
import { setDevice } from '../../src/backend/mode';
import { WebGpuDevice } from '../../src/backend/webgpu/webgpu_device';
import { Net } from '../../src/net';
import { CaffeError } from '../../src/util/errors';
import { setMinLogLevel } from '../../src/util/logging';
import { gpuSkipReason } from '../gpu';

const why = gpuSkipReason();
(why ? describe.skip : describe)(`SyncedMemory across devices${why ? ` [skipped: ${why}]` : ''}`, () => {
  const open: WebGpuDevice[] = [];
  const use = () => {
    const d = new WebGpuDevice(0);
    open.push(d);
    setDevice(d);
    return d;
  };
  afterEach(() => {
    setDevice(null);
    for (const d of open.splice(0)) d.dispose();
  });

  /** A blob whose data a device kernel wrote: current only on the device. */
  function writtenOnDevice(): Blob {
    const b = new Blob([3]);
    b.mutableCpuData().set([1, 2, 3]);
    const dev = open[open.length - 1];
    dev.math.scal(3, 2, b.mutableGpuData()); // [2, 4, 6] on the device only
    expect(b.dataMemory.head).toBe('HEAD_AT_DEVICE');
    return b;
  }

  it('data current only on an open device moves to the new current device', () => {
    const a = use();
    const b = writtenOnDevice();
    const c = use();
    resetTransfers();
    c.math.scal(3, 10, b.mutableGpuData()); // on c: download from a, upload to c
    expect(b.dataMemory.deviceOf).toBe(c);
    expect(Array.from(b.cpuData())).toEqual([20, 40, 60]);
    expect(transfers).toMatchObject({ uploads: 1, downloads: 2 });
    a.dispose(); // nothing of b's is left there
    expect(Array.from(b.cpuData())).toEqual([20, 40, 60]);
  });

  it('data synced with a closed device is taken from the host', () => {
    const a = use();
    const b = writtenOnDevice();
    expect(Array.from(b.cpuData())).toEqual([2, 4, 6]); // SYNCED
    a.dispose();
    const c = use();
    c.math.scal(3, 0.5, b.mutableGpuData());
    expect(Array.from(b.cpuData())).toEqual([1, 2, 3]);
  });

  it('data only a closed device had is one CaffeError line', () => {
    const a = use();
    const b = writtenOnDevice();
    a.dispose();
    expect(() => b.cpuData()).toThrow(new CaffeError('GPU 0: the device has been closed'));
    use();
    expect(() => b.gpuData()).toThrow(new CaffeError('GPU 0: the device has been closed'));
  });

  it('a net moves to a newly opened device; after its device closed, one CaffeError line', () => {
    setMinLogLevel(1);
    const net = new Net(
      {
        name: 'n',
        layer: [
          { name: 'x', type: 'Input', top: ['x'], input_param: { shape: [{ dim: [2, 3] }] } },
          {
            name: 'ip',
            type: 'InnerProduct',
            bottom: ['x'],
            top: ['y'],
            inner_product_param: { num_output: 4, weight_filler: { type: 'gaussian' } },
          },
          { name: 'prob', type: 'Softmax', bottom: ['y'], top: ['p'] },
        ],
      },
      { phase: 'TEST' },
    );
    try {
      const run = () => {
        net.blobByName('x').mutableCpuData().set([1, -2, 3, 0.5, 0, -1]);
        net.forward();
        return Array.from(net.blobByName('p').cpuData());
      };
      const cpu = run();
      const a = use();
      const first = run();
      first.forEach((v, i) => expect(v).toBeCloseTo(cpu[i], 6));
      use(); // a second device while the first is open: the net moves over
      expect(run()).toEqual(first);
      a.dispose();
      use(); // the second's buffers die with it too: the net's tops were only there
      open[1].dispose();
      expect(run).toThrow(new CaffeError('GPU 0: the device has been closed'));
    } finally {
      net.dispose();
      setMinLogLevel(0);
    }
  });
});
