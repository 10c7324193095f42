// util/module_worker.ts: a worker module that cannot be loaded is reported as its caller's protocol
// reports a failed worker (a message on the port, a state word set, its waiters woken).
import * as path from 'path';
import { MessageChannel, receiveMessageOnPort } from 'worker_threads';
import { moduleWorkerEntry, startModuleWorker } from '../../src/util/module_worker';

describe('module workers', () => {
  it('names the module beside its caller: .ts from sources, .js when compiled', () => {
    expect(moduleWorkerEntry('/a/b/prefetch.ts', 'data_worker')).toBe(path.join('/a/b', 'data_worker.ts'));
    expect(moduleWorkerEntry('/a/b/prefetch.js', 'data_worker')).toBe(path.join('/a/b', 'data_worker.js'));
  });

  it('reports a module that fails to load through the port and the control words', async () => {
    const ctrl = new Int32Array(new SharedArrayBuffer(16));
    const { port1, port2 } = new MessageChannel();
    const worker = startModuleWorker(
      path.join(__dirname, 'no_such_worker_module.js'),
      { ctrl: ctrl.buffer, port: port2 },
      {
        message: { t: 'error', msg: 'test worker failed to start: ', caffe: false },
        stateWord: 2,
        state: 7,
        notify: [2],
      },
    );
    try {
      expect(Atomics.wait(ctrl, 2, 0, 30000)).not.toBe('timed-out');
      expect(Array.from(ctrl)).toEqual([0, 0, 7, 0]);
      const m = receiveMessageOnPort(port1)?.message;
      expect(m).toMatchObject({ t: 'error', caffe: false });
      expect(m.msg).toMatch(/^test worker failed to start: Error: Cannot find module .*no_such_worker_module\.js/);
    } finally {
      await worker.terminate();
      port1.close();
    }
  });
});
