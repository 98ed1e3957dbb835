/** What the policy says about one (client, name, instant). */
export type Action = 'block' | 'allow';

export interface Decision {
  action: Action;
  /** The service or blocklist that matched the name and decided, or null when none did. */
  service: string | null;
  /** The rule that decided, or null (an exemption or the default decided). */
  rule: string | null;
  /** The exemption that decided, or null. */
  exemption: string | null;
  /**
   * Epoch milliseconds of the next instant at which the decision for this client and name can
   * change, or null when it never changes. DNS answers never carry a TTL past it.
   */
  until: number | null;
  /**
   * Present (true) only when a rule in monitor mode would have blocked the name: `action` is then
   * 'allow' and `rule` names the monitoring rule.
   */
  monitor?: true;
}
