/** `rambu check`: validate a config file and summarise what it does. */
import { ConfigError, formatIssue } from '../errors.js';
import { loadConfigFile, locateInText } from '../config/index.js';
import { calendar } from '../policy/index.js';
import { type CliIo, EXIT, write } from './cli-io.js';
import { formatLocal } from './format-time.js';
import { enforceRequirements, type Requirement } from './enforce-check.js';
import { backendMissing, spawnRunner } from './enforce-service.js';

export async function runCheck(args: { config: string; json: boolean }, io: CliIo): Promise<number> {
  let loaded;
  try {
    loaded = loadConfigFile(args.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      if (args.json) write(io.stdout, JSON.stringify({ ok: false, errors: err.issues }));
      else write(io.stderr, `${args.config}: ${err.issues.length} ${err.issues.length === 1 ? 'problem' : 'problems'}\n${err.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
      return EXIT.INVALID;
    }
    throw err;
  }
  const { policy, settings } = loaded;
  const now = io.now();
  const outlook = calendar.calendarOutlook(policy, now);
  const warnings = outlook.warning === null ? loaded.warnings : [...loaded.warnings, `holidays: ${outlook.warning}`];
  // Enforcement: what its back-end needs, and whether this machine has it (a warning, located at
  // enforce.backend: the file may be checked elsewhere than on the router it is meant for).
  const needs: Requirement[] = settings.enforce === null ? [] : await enforceRequirements(settings.enforce, spawnRunner);
  const inBuild = settings.enforce === null ? null : backendMissing(settings.enforce.backend);
  if (inBuild !== null) needs.unshift({ what: 'back-end', ok: false, detail: inBuild, required: true });
  const missing = needs.filter((n) => n.required && !n.ok);
  if (missing.length > 0) {
    warnings.push(...locateInText(loaded.text, loaded.file, [{
      path: ['enforce', 'backend'],
      message: `this machine cannot run the ${settings.enforce?.backend ?? ''} back-end: ${missing.map((n) => `${n.what}: ${n.detail}`).join('; ')} (DNS still answers; running streams are not cut)`,
    }]).map(formatIssue));
  }
  if (args.json) {
    write(io.stdout, JSON.stringify({
      ok: true, file: loaded.file, timezone: policy.timezone, holidays: policy.holidays,
      calendars: policy.calendars, calendarDataEnd: policy.calendarDataEnd, nextHolidays: outlook.next,
      groups: policy.groups, rules: policy.rules,
      services: policy.services.map((s) => ({ name: s.name, kind: s.kind, builtin: s.builtin, domains: s.domains })),
      schedules: policy.schedules.map((s) => ({ ...s, next: policy.scheduleTransitions(s.name, now, 4).map((t) => ({ at: policy.zone.formatIso(t.at), active: t.active })) })),
      exemptions: policy.exemptions.map((e) => ({ ...e, from: e.from === null ? null : policy.zone.formatIso(e.from), until: policy.zone.formatIso(e.until), expired: e.until <= now })),
      enforce: settings.enforce === null ? null : { backend: settings.enforce.backend, dnsRedirect: settings.enforce.dnsRedirect, requirements: needs, ready: missing.length === 0 },
      warnings,
    }));
    return EXIT.OK;
  }
  const out: string[] = [`${loaded.file}: OK`, `time zone: ${policy.timezone}`];
  if (policy.calendars.length > 0) {
    out.push(`holidays: calendar ${policy.calendars.join(', ')} (data until ${policy.calendarDataEnd}) and ${policy.holidays.length} days in all`);
  } else {
    out.push(`holidays: ${policy.holidays.length === 0 ? '(none)' : policy.holidays.join(', ')}`);
  }
  if (outlook.next.length > 0) {
    out.push('  next:');
    for (const h of outlook.next) out.push(`    ${h.date} ${weekdayOf(h.date)}${h.name === null ? '' : `  ${h.name}`}`);
  }
  out.push('', `groups (${policy.groups.length}):`);
  for (const g of policy.groups) out.push(`  ${g.name}: ${g.networks.join(', ')}`);
  const used = new Set(policy.rules.flatMap((r) => r.services).concat(policy.exemptions.flatMap((e) => e.allow)));
  const own = policy.services.filter((s) => !s.builtin || used.has(s.name));
  out.push('', `services: ${policy.services.length} (${policy.services.filter((s) => s.builtin).length} built in); used or defined here:`);
  for (const s of own) out.push(`  ${s.name}: ${s.domains} domain${s.domains === 1 ? '' : 's'}${s.kind === 'blocklist' ? ` (blocklist ${s.source})` : s.builtin ? '' : ' (defined here)'}`);
  const others = policy.services.filter((s) => s.builtin && !used.has(s.name)).map((s) => s.name);
  if (others.length > 0) out.push(`  also built in: ${others.join(', ')}`);
  out.push('', `schedules (${policy.schedules.length}):`);
  for (const s of policy.schedules) {
    out.push(`  ${s.name}: ${s.ranges.map((r) => `${r.days.join(',')} ${r.from}-${r.to}`).join('; ')}`);
    for (const p of s.periods) out.push(`    ${p.name} ${p.from} to ${p.to}: ${p.ranges.length === 0 ? 'no ranges' : p.ranges.map((r) => `${r.days.join(',')} ${r.from}-${r.to}`).join('; ')}`);
    const state = policy.scheduleState(s.name, now);
    out.push(`    now ${state?.active ? 'active' : 'inactive'}; next changes:`);
    for (const t of policy.scheduleTransitions(s.name, now, 4)) out.push(`      ${formatLocal(policy.zone, t.at)}  ${t.active ? 'starts' : 'ends'}`);
  }
  out.push('', `rules (${policy.rules.length}, first match wins):`);
  policy.rules.forEach((r, i) => {
    const trial = r.startsOn !== null ? ` [monitor until ${r.startsOn}]` : r.mode === 'monitor' ? ' [monitor]' : '';
    out.push(`  ${i + 1}. ${r.name}: ${r.action} ${r.services.join(', ')} for ${r.groups.length === 0 ? 'every client' : r.groups.join(', ')} ${r.during === null ? 'always' : `during ${r.during}`}${trial}`);
  });
  out.push('', `exemptions (${policy.exemptions.length}, checked before rules):`);
  for (const e of policy.exemptions) {
    const who = [...e.groups, ...e.clients].join(', ');
    const state = e.until <= now ? 'EXPIRED' : e.from !== null && e.from > now ? 'not started' : 'active';
    out.push(`  ${e.name}: allow ${e.allow.join(', ')} for ${who} until ${formatLocal(policy.zone, e.until)} [${state}]: ${e.reason}`);
  }
  for (const b of loaded.blocklists) out.push(`blocklist ${b.name}: ${b.added} domains from ${b.path}${b.skipped > 0 ? `, ${b.skipped} lines skipped` : ''}`);
  out.push('', `dns: listen ${settings.dns.listen.map((l) => `${l.host}:${l.port}`).join(', ')}; upstreams ${settings.dns.upstreams.length === 0 ? 'from /etc/resolv.conf' : settings.dns.upstreams.map((u) => u.label).join(', ')}; block response ${settings.dns.blockResponse.kind}`);
  const extraCa = settings.dns.upstreams.find((u) => u.extraCa !== undefined)?.extraCa;
  if (extraCa !== undefined) out.push(`  tls:// upstreams also trust ${extraCa.length} CA certificate${extraCa.length === 1 ? '' : 's'} from ${loaded.config.dns?.upstreamCaFile ?? 'dns.upstreamCaFile'}`);
  if (settings.enforce !== null) {
    out.push(`enforce: ${settings.enforce.backend}${settings.enforce.dnsRedirect ? ', DNS redirect' : ''}; this machine ${missing.length === 0 ? 'has what it needs' : 'cannot run it'}:`);
    for (const n of needs) out.push(`  ${n.ok ? 'ok  ' : n.required ? 'MISSING' : 'warn'} ${n.what}: ${n.detail}`);
  }
  out.push(`web: ${settings.web.enabled ? `http://${settings.web.listen.host}:${settings.web.listen.port}/` : 'disabled'}; storage: ${settings.storage.path}`);
  if (warnings.length > 0) out.push('', `warnings (${warnings.length}):`, ...warnings.map((w) => `  ${w}`));
  write(io.stdout, out.join('\n'));
  return EXIT.OK;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function weekdayOf(date: string): string {
  return WEEKDAYS[(new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7]!;
}
