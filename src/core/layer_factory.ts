// The layer registry, keyed by Caffe's type string. Built-in layers register themselves on import
// (src/layers/index.ts); users can register their own types the same way.
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

export function createLayer(param: Message): Layer {
  const type: string = param.type ?? '';
  const ctor = registry.get(type);
  if (!ctor) {
    const known = layerTypeList().join(', ');
    throw new CaffeError(
      `Unknown layer type: ${excerpt(type)} (layer "${excerpt(param.name ?? '')}"; known types: ${known})`,
    );
  }
  log.info(`Creating layer ${param.name ?? ''}`); // Caffe's layer factory logs every creation
  return new ctor(param);
}
