// The layer registry, keyed by Caffe's type string. Built-in layers register themselves on import
// (src/layers/index.ts); users can register their own types the same way, and TypeScript stand-ins
// for Python layers under `<python_param.module>.<python_param.layer>`.
import { Message } from '../proto/schema';
import { CaffeError, excerpt } from '../util/errors';
import { Layer } from './layer';
import { log } from '../util/logging';

export type LayerCtor = new (param: Message) => Layer;

const registry = new Map<string, LayerCtor>();

export function registerLayer(type: string, ctor: LayerCtor): void {
  if (registry.has(type)) throw new CaffeError(`Layer type ${type} already registered.`);
  registry.set(type, ctor);
}

export function layerTypeList(): string[] {
  return [...registry.keys()].sort();
}

/**
 * Caffe's `Python` layer runs a Python class (python_param module / layer). caffets runs a TypeScript
 * class registered under `<module>.<layer>` in its place (or one registered as `Python`); without one,
 * one line says how to write it.
 */
function pythonLayer(param: Message): LayerCtor {
  const py = param.python_param ?? {};
  const module = String(py.module ?? ''),
    cls = String(py.layer ?? '');
  const ctor = registry.get(`${module}.${cls}`) ?? registry.get('Python');
  if (ctor) return ctor;
  const id = /^[A-Za-z_$][\w$]*$/.test(cls) ? cls : 'MyLayer';
  throw new CaffeError(
    `layer "${excerpt(param.name ?? '')}" is a Python layer (python_param module "${excerpt(module)}", ` +
      `layer "${excerpt(cls)}"), and Python layers cannot run in caffets: write it in TypeScript as a class ` +
      `extending Layer (layerSetUp, reshape, forwardCpu, backwardCpu; param_str is ` +
      `this.param('python_param').param_str) and register it before building the net with ` +
      `registerLayer('${excerpt(`${module}.${cls}`)}', ${id}) (import { Layer, registerLayer } from 'caffets')`,
  );
}

export function createLayer(param: Message): Layer {
  const type: string = param.type ?? '';
  const ctor = type === 'Python' ? pythonLayer(param) : registry.get(type);
  if (!ctor) {
    const known = layerTypeList().join(', ');
    throw new CaffeError(
      `Unknown layer type: ${excerpt(type)} (layer "${excerpt(param.name ?? '')}"; known types: ${known})`,
    );
  }
  log.info(`Creating layer ${param.name ?? ''}`); // Caffe's layer factory logs every creation
  return new ctor(param);
}
