// Caffe's SignalHandler (util/signal_handler.cpp) for `train`: SIGINT and SIGHUP set flags instead of
// killing the process; the solver polls them (once per iteration and per test batch) and gets the
// action each signal was configured for (--sigint_effect, --sighup_effect). SIGHUP is checked first;
// reading a flag clears it.
import { CaffeError } from '../util/errors';
import type { ActionFunction, SolverAction } from './solver';

/** tools/caffe.cpp's GetRequestedAction: a --sig*_effect flag value as a SolverAction. */
export function solverActionFromFlag(value: string): SolverAction {
  if (value === 'stop') return 'STOP';
  if (value === 'snapshot') return 'SNAPSHOT';
  if (value === 'none') return 'NONE';
  throw new CaffeError(`Invalid signal effect "${value}" was specified`);
}

let hookedUp = false;

export class SignalHandler {
  private gotSigint = false;
  private gotSighup = false;
  private readonly onSigint = () => {
    this.gotSigint = true;
  };
  private readonly onSighup = () => {
    this.gotSighup = true;
  };

  constructor(
    private readonly sigintAction: SolverAction,
    private readonly sighupAction: SolverAction,
  ) {
    if (hookedUp) throw new CaffeError('Tried to hookup signal handlers more than once.');
    hookedUp = true;
    process.on('SIGINT', this.onSigint);
    if (process.platform !== 'win32') process.on('SIGHUP', this.onSighup);
  }

  /** The action requested by a signal received since the last call, or NONE. */
  checkForSignals(): SolverAction {
    if (this.gotSighup) {
      this.gotSighup = false;
      return this.sighupAction;
    }
    if (this.gotSigint) {
      this.gotSigint = false;
      return this.sigintAction;
    }
    return 'NONE';
  }

  actionFunction(): ActionFunction {
    return () => this.checkForSignals();
  }

  /** Restores the default signal behaviour. */
  dispose(): void {
    if (!hookedUp) return;
    process.removeListener('SIGINT', this.onSigint);
    process.removeListener('SIGHUP', this.onSighup);
    hookedUp = false;
  }
}
