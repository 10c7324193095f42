// Synchronous calls into a worker thread (the HDF5 worker, the WebGPU device): the main thread posts a
// request with a sequence number on a MessagePort, then blocks in Atomics.wait (no spinning) until the
// worker has posted its answer and bumped the shared counter ctrl[doneWord]; the answer is taken with
// receiveMessageOnPort. A worker that fails sets ctrl[stateWord] non-zero (and may post seq -1).
import { MessagePort, receiveMessageOnPort } from 'worker_threads';

export interface SyncChannel {
  port: MessagePort;
  ctrl: Int32Array;
  doneWord: number;
  stateWord: number;
}

/** Why waitForAnswer gave up. */
export type WaitFailure = 'stopped' | 'timeout';

/**
 * Blocks until the answer to request `seq` arrives and returns it, or returns a message with seq -1
 * (the worker reporting its own failure). Answers to other requests are dropped. Calls `fail` (which
 * must throw) when the worker stops without answering or `timeoutMs` passes.
 */
export function waitForAnswer<M extends { seq: number }>(
  ch: SyncChannel,
  seq: number,
  timeoutMs: number,
  fail: (why: WaitFailure) => never,
): M {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = receiveMessageOnPort(ch.port);
    if (r) {
      const m = r.message as M;
      if (m.seq === seq || m.seq === -1) return m;
      continue; // an answer nobody waits for any more
    }
    if (Atomics.load(ch.ctrl, ch.stateWord) !== 0) fail('stopped');
    if (Date.now() > deadline) fail('timeout');
    const done = Atomics.load(ch.ctrl, ch.doneWord);
    // answered but not yet readable (never seen in practice): look again shortly
    Atomics.wait(ch.ctrl, ch.doneWord, done, done >= seq ? 1 : 1000);
  }
}

/** Worker side: marks request `seq` answered and wakes the waiting main thread. */
export function signalAnswered(ctrl: Int32Array, doneWord: number, seq: number): void {
  Atomics.store(ctrl, doneWord, seq);
  Atomics.notify(ctrl, doneWord);
}
