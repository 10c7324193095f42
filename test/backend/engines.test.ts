// The test helper that runs layer tests on every engine (test/engines.ts): each block runs with its
// engine selected, and the engine selected before (with its OpenMP thread count) comes back afterwards.
import { ENGINES, backend, setEngine } from '../../src/backend';
import { CaffeBackend } from '../../src/backend/caffe';
import { native } from '../../src/native/addon';
import { mode } from '../../src/backend/mode';
import { TEST_ENGINES, describeEngines, skipReason, useEngine } from '../engines';

const threads = (): number => native().info().threads;

describe('describeEngines', () => {
  let allCores = 0;
  beforeAll(() => {
    setEngine('DEFAULT');
    allCores = threads();
  });

  it('tests every engine of src/backend, then GPU mode', () => expect(TEST_ENGINES).toEqual([...ENGINES, 'GPU']));

  describeEngines('a block', (engine) => {
    it('runs with its engine selected', () => {
      expect(backend() instanceof CaffeBackend).toBe(engine === 'CAFFE');
      // the GPU block: GPU mode, its CPU fallbacks on the DEFAULT engine
      expect(mode()).toBe(engine === 'GPU' ? 'GPU' : 'CPU');
      // CAFFE leaves the threads to BLAS: our OpenMP kernels run on one
      expect(threads()).toBe(engine === 'CAFFE' ? 1 : allCores);
    });
  });

  it('restores the engine selected before, with its OpenMP threads, and CPU mode', () => {
    expect(backend().name).toBe('cpu');
    expect(mode()).toBe('CPU');
    expect(threads()).toBe(allCores);
  });

  (skipReason('CAFFE') ? it.skip : it)('useEngine restores CAFFE after DEFAULT, one OpenMP thread again', () => {
    setEngine('CAFFE');
    const restore = useEngine('DEFAULT');
    expect(backend().name).toBe('cpu');
    expect(threads()).toBe(allCores);
    restore();
    expect(backend().name).toBe('caffe');
    expect(threads()).toBe(1);
    setEngine('DEFAULT');
  });

  it('CAFFE without a CBLAS library is skipped with the reason, except on CI', () => {
    const saved = process.env.CI;
    try {
      jest.isolateModules(() => {
        const noBlas = { blasLibrary: () => null, blasError: () => 'why' };
        jest.doMock('../../src/native/addon', () => ({ native: () => noBlas }));
        const m = require('../engines') as typeof import('../engines');
        delete process.env.CI;
        expect(m.skipReason('CAFFE')).toBe('no CBLAS library: why');
        expect(m.skipReason('DEFAULT')).toBeUndefined();
        process.env.CI = '1';
        expect(m.skipReason('CAFFE')).toBeUndefined();
      });
    } finally {
      jest.dontMock('../../src/native/addon');
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });

  it('CAFFETS_TEST_ENGINES names the engines that run; the others are skipped saying why', () => {
    const saved = process.env.CAFFETS_TEST_ENGINES;
    process.env.CAFFETS_TEST_ENGINES = 'caffe';
    try {
      jest.isolateModules(() => {
        const m = require('../engines') as typeof import('../engines');
        expect(m.skipReason('DEFAULT')).toBe('not in CAFFETS_TEST_ENGINES=caffe');
        expect(m.skipReason('CAFFE')).toBe(skipReason('CAFFE'));
      });
    } finally {
      if (saved === undefined) delete process.env.CAFFETS_TEST_ENGINES;
      else process.env.CAFFETS_TEST_ENGINES = saved;
    }
  });
});
