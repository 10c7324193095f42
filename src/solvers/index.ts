// The solvers (Caffe's solver.cpp, sgd_solver.cpp and solvers/*): the Solver loop, SGD and its
// variants, each registered under Caffe's type string.
export { Solver } from './solver';
export type { SolverAction, ActionFunction, SolverCallback } from './solver';
export { SGDSolver } from './sgd';
export { NesterovSolver } from './nesterov';
export { AdaGradSolver } from './adagrad';
export { RMSPropSolver } from './rmsprop';
export { AdaDeltaSolver } from './adadelta';
export { AdamSolver } from './adam';
export { registerSolver, createSolver, solverTypeList } from './registry';
export type { SolverCreator } from './registry';
export { learningRate, LR_POLICIES } from './lr_policy';
export { SignalHandler, solverActionFromFlag } from './signal_handler';
