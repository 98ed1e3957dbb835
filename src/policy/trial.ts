/**
 * A rule's trial: `mode: monitor` logs what the rule would block and answers as if it were not
 * there; `startsOn: DATE` monitors before that local date and enforces from its first instant.
 */
import type { RuleConfig } from '../config/schema.js';
import { isCalendarDate } from './parse-instant.js';
import type { TimeZone } from './time-zone.js';

type Fail = (path: (string | number)[], message: string) => void;

export interface RuleTrial {
  mode: 'enforce' | 'monitor';
  /**
   * Epoch ms before which the rule only monitors: -Infinity for a rule that enforces from the start,
   * Infinity for one that only ever monitors.
   */
  monitorUntil: number;
}

export function compileTrial(rule: RuleConfig, index: number, action: 'block' | 'allow', zone: TimeZone, fail: Fail): RuleTrial {
  const mode = rule.mode ?? 'enforce';
  if (action === 'allow' && (rule.mode === 'monitor' || rule.startsOn !== undefined)) {
    fail(['rules', index, rule.startsOn !== undefined ? 'startsOn' : 'mode'], `rule "${rule.name}" allows: only a block rule can be tried out in monitor mode`);
    return { mode: 'enforce', monitorUntil: -Infinity };
  }
  if (rule.startsOn === undefined) return { mode, monitorUntil: mode === 'monitor' ? Infinity : -Infinity };
  if (!isCalendarDate(rule.startsOn)) {
    fail(['rules', index, 'startsOn'], `invalid date "${rule.startsOn}": expected YYYY-MM-DD, such as 2027-01-04`);
    return { mode, monitorUntil: -Infinity };
  }
  const [y, m, d] = rule.startsOn.split('-').map(Number) as [number, number, number];
  return { mode, monitorUntil: zone.toInstant(y, m, d, 0) };
}
