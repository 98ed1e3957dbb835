/** `rambu explain`: what the gateway would do for a client, a name and an instant, and why. */
import { ConfigError, formatIssue } from '../errors.js';
import { loadConfigFile } from '../config/index.js';
import { normalizeDomain, parseInstant, parseIp } from '../policy/index.js';
import { type CliIo, EXIT, write } from './cli-io.js';
import { formatLocal } from './format-time.js';

export interface ExplainArgs { config: string; client: string; name: string; at: string | null; json: boolean }

export async function runExplain(args: ExplainArgs, io: CliIo): Promise<number> {
  if (parseIp(args.client) === null) { write(io.stderr, `rambu explain: invalid client address "${args.client}": expected an IPv4 or IPv6 address`); return EXIT.INVALID; }
  const name = normalizeDomain(args.name);
  if (name === null) { write(io.stderr, `rambu explain: invalid name "${args.name}": expected a domain name such as www.youtube.com`); return EXIT.INVALID; }
  let at = io.now();
  if (args.at !== null) {
    const parsed = parseInstant(args.at);
    if (parsed === null) { write(io.stderr, `rambu explain: invalid --at "${args.at}": expected ISO-8601 with an offset, such as 2026-11-30T07:00:00+07:00`); return EXIT.INVALID; }
    at = parsed;
  }
  let loaded;
  try {
    loaded = loadConfigFile(args.config);
  } catch (err) {
    if (err instanceof ConfigError) { write(io.stderr, err.issues.map(formatIssue).join('\n')); return EXIT.INVALID; }
    throw err;
  }
  const { policy } = loaded;
  const d = policy.decide(args.client, name, at);
  const until = d.until === null ? null : policy.zone.formatIso(d.until);
  if (args.json) {
    write(io.stdout, JSON.stringify({ action: d.action, service: d.service, rule: d.rule, exemption: d.exemption, until, ...(d.monitor === true ? { monitor: true } : {}) }));
    return EXIT.OK;
  }
  const groups = policy.groupsOf(args.client);
  const lines = [`${d.action.toUpperCase()} ${name} for ${args.client} at ${formatLocal(policy.zone, at)}`];
  lines.push(`  client groups: ${groups.length === 0 ? '(none)' : groups.join(', ')}`);
  lines.push(`  service: ${d.service ?? '(the name is in no service or blocklist)'}`);
  if (d.exemption !== null) {
    const e = policy.exemptions.find((x) => x.name === d.exemption);
    lines.push(`  why: exemption "${d.exemption}" allows ${d.service} until ${e === undefined ? until : formatLocal(policy.zone, e.until)}${e === undefined ? '' : ` (${e.reason})`}`);
  } else if (d.rule !== null && d.monitor === true) {
    const r = policy.rules.find((x) => x.name === d.rule);
    const trial = r?.startsOn == null ? 'monitor mode' : `monitor until ${r.startsOn}`;
    lines.push(`  why: would be blocked by ${d.rule} (${trial}); answered as allowed, logged as "would block"`);
  } else if (d.rule !== null) {
    const r = policy.rules.find((x) => x.name === d.rule);
    lines.push(`  why: rule "${d.rule}" ${d.action}s ${d.service} for ${r === undefined || r.groups.length === 0 ? 'every client' : r.groups.join(', ')} ${r?.during == null ? 'always' : `during schedule "${r.during}", which is active now`}`);
  } else if (d.service !== null) {
    lines.push(`  why: no rule or exemption covers ${d.service} for this client at this time, so it is allowed`);
  } else {
    lines.push('  why: no rule can block a name outside every service and blocklist');
  }
  lines.push(`  until: ${d.until === null ? 'no change is scheduled' : `${formatLocal(policy.zone, d.until)} (the decision can change then; DNS answers expire by then)`}`);
  write(io.stdout, lines.join('\n'));
  return EXIT.OK;
}
