// Layer tests over every engine and the GPU, as Caffe runs each layer test on CPUDevice and GPUDevice
// (TYPED_TEST); the GPU block runs in GPU mode on WebGPU device 0 (layers without a device kernel run
// their CPU code through synced memory, as Caffe's Forward_gpu default):
// describeEngines('ReLU', (engine) => { ...tests... }) declares one describe block per engine, `ReLU
// [engine CAFFE]`, that selects the engine before its tests (beforeAll) and restores the engine that was
// selected before (afterAll). An engine that cannot run on this machine is skipped, its block named with
// the reason and one line on stderr per test file; on CI (CI set) it runs and fails instead.
// CAFFETS_TEST_ENGINES=CAFFE (a comma list) runs only the engines named.
//
// A new engine is added in ENGINE_CASES below, and nowhere else in the tests (the type makes one
// entry per src/backend Engine compulsory).
//
// Layer tests that stay on the default engine (plain describe), and why:
// - convolution_caffe: runs reference Caffe's binary on a net (seconds) and compares the DEFAULT engine's
//   conv/deconv with it at 2e-5; CAFFE against reference Caffe is test/backend/caffe_engine_live.test.ts
// - data, data_caffe, data_prefetch, image_data, hdf5_data, hdf5_output, memory_data, dummy_data, input,
//   parameter, silence: data pipeline / I/O / blob plumbing with no arithmetic through the backend
//   (file readers, transforms, prefetch threads, fillers), so the engine cannot change what they test
import { Backend } from '../src/backend/backend';
import { ENGINES, Engine, backend, setBackend, setEngine } from '../src/backend';
import { currentDeviceOrNull, setDevice } from '../src/backend/mode';
import { WebGpuDevice } from '../src/backend/webgpu/webgpu_device';
import { native } from '../src/native/addon';
import { gpuSkipReason } from './gpu';

/** What layer tests run on: each CPU engine, and GPU mode (the WebGPU device, DEFAULT for fallbacks). */
export type TestEngine = Engine | 'GPU';

interface EngineCase {
  /** Backend.name of the engine's backend (to tell which engine is selected) */
  backendName: string;
  /** why the engine cannot run on this machine; undefined when it can */
  unavailable(): string | undefined;
}

const ENGINE_CASES: Record<TestEngine, EngineCase> = {
  DEFAULT: { backendName: 'cpu', unavailable: () => undefined },
  CAFFE: {
    backendName: 'caffe',
    unavailable: () => (native().blasLibrary() === null ? `no CBLAS library: ${native().blasError()}` : undefined),
  },
  GPU: { backendName: 'cpu', unavailable: gpuSkipReason },
};

/** The engines layer tests run on: src/backend's, in its order, then the GPU. */
export const TEST_ENGINES: readonly TestEngine[] = [...ENGINES, 'GPU'];

const only = process.env.CAFFETS_TEST_ENGINES?.split(',')
  .map((s) => s.trim().toUpperCase())
  .filter((s) => s);

/** Why `engine`'s tests are skipped here, or undefined when they run. */
export function skipReason(engine: TestEngine): string | undefined {
  if (only && !only.includes(engine)) return `not in CAFFETS_TEST_ENGINES=${process.env.CAFFETS_TEST_ENGINES}`;
  const why = ENGINE_CASES[engine].unavailable();
  return why && !process.env.CI ? why : undefined; // CI must have every engine: run and fail there
}

const said = new Set<TestEngine>();

/** Selects `engine`; returns the function that selects the previous engine (or backend) again. */
export function useEngine(engine: TestEngine): () => void {
  if (engine === 'GPU') {
    const restoreCpu = useEngine('DEFAULT');
    const prevDevice = currentDeviceOrNull();
    const dev = new WebGpuDevice(0);
    setDevice(dev);
    return () => {
      setDevice(prevDevice);
      dev.dispose();
      restoreCpu();
    };
  }
  const prev: Backend = backend();
  setEngine(engine);
  const prevEngine = ENGINES.find((e) => ENGINE_CASES[e].backendName === prev.name);
  // setEngine again rather than setBackend(prev): a backend's selection also sets process state (CAFFE
  // runs our OpenMP kernels on one thread, DEFAULT on the thread count in effect)
  return () => (prevEngine ? setEngine(prevEngine) : setBackend(prev));
}

/** describe(name, fn) once per engine, the engine selected while its tests run. */
export function describeEngines(name: string, fn: (engine: TestEngine) => void): void {
  for (const engine of TEST_ENGINES) {
    const title = `${name} [engine ${engine}]`;
    const why = skipReason(engine);
    if (why) {
      if (!said.has(engine)) process.stderr.write(`engine ${engine} tests skipped: ${why}\n`);
      said.add(engine);
      describe.skip(`${title} [skipped: ${why}]`, () => fn(engine));
      continue;
    }
    describe(title, () => {
      let restore: () => void;
      beforeAll(() => {
        restore = useEngine(engine);
      });
      afterAll(() => restore());
      fn(engine);
    });
  }
}
