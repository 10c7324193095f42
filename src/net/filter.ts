// Caffe's layer filtering by NetState (Net::FilterNet / Net::StateMeetsRule): a layer with include
// rules is kept when the state meets at least one of them; a layer with exclude rules is dropped
// when the state meets any of them; a layer with neither is kept. Log lines are Caffe's (which prints
// phases by number: TRAIN = 0, TEST = 1).
import { Message, getField } from '../proto/schema';
import { cloneMessage, enumNumber } from '../proto/message';
import { checkFailed } from '../util/check';
import { log } from '../util/logging';

const STATE = 'caffe.NetState';

const phaseNumber = (p: unknown) => enumNumber(STATE, 'phase', p);

/** Whether `state` satisfies every condition of `rule` (logging the first one it breaks). */
export function stateMeetsRule(state: Message | undefined, rule: Message, layerName: string): boolean {
  const statePhase = getField(state, STATE, 'phase');
  const level = getField(state, STATE, 'level');
  const stages: string[] = state?.stage ?? [];
  if (rule.phase !== undefined && rule.phase !== statePhase) {
    log.info(
      `The NetState phase (${phaseNumber(statePhase)}) differed from the phase (${phaseNumber(rule.phase)}) ` +
        `specified by a rule in layer ${layerName}`,
    );
    return false;
  }
  if (rule.min_level !== undefined && level < rule.min_level) {
    // sic: Caffe says "above" here too
    log.info(
      `The NetState level (${level}) is above the min_level (${rule.min_level}) ` +
        `specified by a rule in layer ${layerName}`,
    );
    return false;
  }
  if (rule.max_level !== undefined && level > rule.max_level) {
    log.info(
      `The NetState level (${level}) is above the max_level (${rule.max_level}) ` +
        `specified by a rule in layer ${layerName}`,
    );
    return false;
  }
  for (const s of (rule.stage ?? []) as string[]) {
    if (!stages.includes(s)) {
      log.info(`The NetState did not contain stage '${s}' specified by a rule in layer ${layerName}`);
      return false;
    }
  }
  for (const s of (rule.not_stage ?? []) as string[]) {
    if (stages.includes(s)) {
      log.info(`The NetState contained a not_stage '${s}' specified by a rule in layer ${layerName}`);
      return false;
    }
  }
  return true;
}

/** Whether layer `lp` belongs to the net in `state`. */
export function layerIncluded(state: Message | undefined, lp: Message): boolean {
  const include: Message[] = lp.include ?? [],
    exclude: Message[] = lp.exclude ?? [];
  if (include.length && exclude.length) {
    checkFailed(
      null,
      'layer_param.include_size() == 0 || layer_param.exclude_size() == 0',
      'Specify either include rules or exclude rules; not both.',
    );
  }
  const name: string = lp.name ?? '';
  let included = include.length === 0;
  for (let j = 0; included && j < exclude.length; j++) {
    if (stateMeetsRule(state, exclude[j], name)) included = false;
  }
  for (let j = 0; !included && j < include.length; j++) {
    if (stateMeetsRule(state, include[j], name)) included = true;
  }
  return included;
}

/** A copy of `param` holding only the layers its `state` selects. */
export function filterNet(param: Message): Message {
  const out: Message = {};
  for (const [f, v] of Object.entries(param)) if (f !== 'layer' && v !== undefined) out[f] = cloneMessage(v);
  out.layer = ((param.layer ?? []) as Message[])
    .filter((lp) => layerIncluded(param.state, lp))
    .map((lp) => cloneMessage(lp));
  return out;
}
