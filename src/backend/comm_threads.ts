// The Communicator among threads of one process: replicas on several devices of one process, each in
// a thread of its own as Caffe's Worker threads. Shared memory: a sum copies the replica's buffer into
// its slot of a shared arena and arrives; the last replica to arrive adds the slots up in rank order,
// in float, into slot 0 and marks the op ready, so a bucket is summed while the others still run
// backward; wait() copies the result out and leaves. Every replica gets the same bits.
//
// Ops are numbered within a round (the ops started since every earlier one was waited for) and take
// consecutive arena space; a new round first waits until every replica has left the ops of the one
// before, whose space it reuses. Counters only grow: op j's targets are multiples of its uses.
import { native } from '../native/addon';
import { CaffeError } from '../util/errors';
import type { CommRequest, Communicator } from './comm';

/** What the threads of one group share (posted to each replica's worker). */
export interface ThreadGroup {
  ctrl: SharedArrayBuffer;
  arena: SharedArrayBuffer;
  size: number;
  /** floats per replica slot */
  capacity: number;
}

const ABORT = 0; // non-zero: a replica failed
const OPS = 1; // op j's counters: arrived, ready, left at OPS + 3j
const MAX_OPS = 1024;
const POLL_MS = 500;

/** What a replica's wait throws when another replica failed (whose own error says why). */
export class ReplicaFailed extends CaffeError {
  constructor() {
    super('data-parallel training: another replica failed');
  }
}

/** A group of `size` replicas with `capacity` floats of arena each (larger ops are cut into pieces). */
export function createThreadGroup(size: number, capacity: number): ThreadGroup {
  const cap = Math.max(1024, Math.min(capacity, 1 << 24));
  return {
    ctrl: new SharedArrayBuffer(4 * (OPS + 3 * MAX_OPS)),
    arena: new SharedArrayBuffer(4 * size * cap),
    size,
    capacity: cap,
  };
}

interface Op {
  j: number;
  offset: number;
  n: number;
  kind: 'sum' | 'bcast';
  root: number;
  buf: Float32Array;
  done: boolean;
}

export class ThreadCommunicator implements Communicator {
  readonly transport = 'shared memory';
  readonly size: number;
  private readonly ctrl: Int32Array;
  private readonly arena: Float32Array;
  private readonly capacity: number;
  private readonly uses = new Int32Array(MAX_OPS);
  private next = 0;
  private cursor = 0;
  private outstanding: Op[] = [];

  constructor(
    group: ThreadGroup,
    readonly rank: number,
  ) {
    this.size = group.size;
    this.ctrl = new Int32Array(group.ctrl);
    this.arena = new Float32Array(group.arena);
    this.capacity = group.capacity;
  }

  sumStart(buf: Float32Array): CommRequest {
    return this.startAll('sum', buf, 0);
  }

  broadcast(buf: Float32Array | Int32Array, root: number): void {
    const f = buf instanceof Float32Array ? buf : new Float32Array(buf.buffer, buf.byteOffset, buf.length);
    this.startAll('bcast', f, root).wait(); // copies of bits: an Int32Array travels as floats unchanged
  }

  close(): void {}

  /** Makes every replica's waits throw: this one failed. */
  abort(): void {
    Atomics.store(this.ctrl, ABORT, 1);
  }

  private startAll(kind: 'sum' | 'bcast', buf: Float32Array, root: number): CommRequest {
    const ops: Op[] = [];
    for (let k = 0; k < buf.length || k === 0; k += this.capacity) {
      ops.push(this.start(kind, buf.subarray(k, Math.min(buf.length, k + this.capacity)), root));
    }
    return { wait: () => ops.forEach((op) => this.complete(op)) };
  }

  private start(kind: 'sum' | 'bcast', buf: Float32Array, root: number): Op {
    const n = buf.length;
    if (this.next === MAX_OPS || this.cursor + n > this.capacity) this.outstanding.forEach((op) => this.complete(op));
    if (this.outstanding.length === 0 && this.next > 0) this.newRound();
    const j = this.next++;
    const op: Op = { j, offset: this.cursor, n, kind, root, buf, done: false };
    this.cursor += n;
    const uses = ++this.uses[j];
    if (kind === 'sum' || this.rank === root) native().copyFloats(this.slot(this.rank, op), buf, n);
    const arrived = Atomics.add(this.ctrl, OPS + 3 * j, 1) + 1;
    if (arrived === this.size * uses) {
      if (kind === 'sum') {
        const acc = this.slot(0, op);
        for (let r = 1; r < this.size; r++) {
          const s = this.slot(r, op);
          for (let i = 0; i < n; i++) acc[i] += s[i];
        }
      }
      Atomics.store(this.ctrl, OPS + 3 * j + 1, uses);
      Atomics.notify(this.ctrl, OPS + 3 * j + 1);
    }
    this.outstanding.push(op);
    return op;
  }

  private complete(op: Op): void {
    if (op.done) return;
    op.done = true;
    const j = op.j;
    this.waitFor(OPS + 3 * j + 1, this.uses[j]);
    const from = op.kind === 'sum' ? 0 : op.root;
    if (from !== this.rank || op.kind === 'sum') native().copyFloats(op.buf, this.slot(from, op), op.n);
    Atomics.add(this.ctrl, OPS + 3 * j + 2, 1);
    Atomics.notify(this.ctrl, OPS + 3 * j + 2);
    this.outstanding = this.outstanding.filter((o) => o !== op);
  }

  /** Waits until every replica has left the ops of the round so far, then starts a new one. */
  private newRound(): void {
    for (let j = 0; j < this.next; j++) this.waitFor(OPS + 3 * j + 2, this.size * this.uses[j]);
    this.next = 0;
    this.cursor = 0;
  }

  private slot(rank: number, op: Op): Float32Array {
    const at = rank * this.capacity + op.offset;
    return this.arena.subarray(at, at + op.n);
  }

  private waitFor(word: number, target: number): void {
    for (;;) {
      const v = Atomics.load(this.ctrl, word);
      if (v >= target) return;
      if (Atomics.load(this.ctrl, ABORT)) throw new ReplicaFailed();
      Atomics.wait(this.ctrl, word, v, POLL_MS);
    }
  }
}
