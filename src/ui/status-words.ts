/**
 * Turns `GET /api/status` into the plain sentences staff read: what is blocked now, why, until when,
 * and what changes next.
 */
import type { NextChange, RuleStatus, Status } from './api-types.js';
import { joinList, t, type Lang } from './i18n.js';
import { formatWhen, toMs, zonedParts } from './time-format.js';

/** How the big streaming services are written; other service names are shown as configured. */
const SERVICE_LABELS: Record<string, string> = {
  youtube: 'YouTube', vidio: 'Vidio', vimeo: 'Vimeo', netflix: 'Netflix', tiktok: 'TikTok',
  twitch: 'Twitch', spotify: 'Spotify', facebook: 'Facebook', instagram: 'Instagram',
  'disney-plus': 'Disney+', disneyplus: 'Disney+', 'prime-video': 'Prime Video', primevideo: 'Prime Video',
  dailymotion: 'Dailymotion', iqiyi: 'iQIYI', viu: 'Viu', wetv: 'WeTV', 'rcti-plus': 'RCTI+', vision: 'Vision+',
};

export function serviceLabel(name: string): string {
  return SERVICE_LABELS[name] ?? name;
}

/** Whether today is a holiday, and its name when the server gives one. */
export function holidayToday(status: Pick<Status, 'holidaysToday' | 'today'>): { holiday: boolean; name: string | null } {
  const h = status.holidaysToday;
  if (Array.isArray(h)) {
    const names = h.map((x) => typeof x === 'string' ? x : (x.name ?? x.date));
    return { holiday: names.length > 0, name: names.length > 0 ? joinList(names) : null };
  }
  const holiday = h === true || status.today?.holiday === true;
  return { holiday, name: holiday ? (status.today?.holidayName ?? null) : null };
}

/** The instant of the next change, whatever shape the server gave it in. */
export function nextChangeAt(next: Status['nextChange']): number {
  if (next === null || next === undefined) return NaN;
  if (typeof next === 'object') return toMs((next as NextChange).at);
  return toMs(next);
}

export interface StatusWords {
  blocked: boolean;
  /** The full sentence for the public page. */
  sentence: string;
  /** What happens next, or null when nothing is scheduled. */
  next: string | null;
  /** A short headline for the console ("Streaming diblokir sampai 16.00 WIB"). */
  short: string;
  /** The instant of the next change, or NaN. */
  nextAt: number;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function earliest(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length === 0 ? NaN : Math.min(...finite);
}

function reasonOf(rule: RuleStatus | undefined): string {
  if (rule === undefined) return '';
  return rule.during === null || rule.during === undefined
    ? t('status.reasonRuleAlways', { rule: rule.name })
    : t('status.reasonRule', { rule: rule.name, schedule: rule.during });
}

function latest(values: readonly number[]): number {
  return values.some((v) => !Number.isFinite(v)) || values.length === 0 ? NaN : Math.max(...values);
}

export function describeStatus(status: Status, lang: Lang): StatusWords {
  const tz = status.timezone;
  const now = Number.isFinite(toMs(status.now)) ? toMs(status.now) : Date.now();
  // A rule on trial blocks nothing yet: staff read only what bites.
  const blockRules = status.rules.filter((r) => r.action === 'block' && r.monitoring !== true);
  const activeBlocks = blockRules.filter((r) => r.active);
  const nextAt = nextChangeAt(status.nextChange);

  if (status.streamingBlocked) {
    const services = unique(activeBlocks.flatMap((r) => r.services)).map(serviceLabel);
    const listed = services.length > 0 ? services.join(', ') : 'YouTube, Vidio, Vimeo';
    // Streaming is free again only when every active block rule has ended.
    const untilAt = activeBlocks.length > 0 ? latest(activeBlocks.map((r) => toMs(r.until))) : nextAt;
    const reason = reasonOf(activeBlocks[0]);
    if (Number.isFinite(untilAt)) {
      const until = formatWhen(untilAt, tz, lang, now);
      return {
        blocked: true,
        sentence: t('status.blockedNow', { services: listed, until, reason }),
        next: t('status.nextFree'),
        short: t('status.short.blocked', { until }),
        nextAt: untilAt,
      };
    }
    return {
      blocked: true,
      sentence: t('status.blockedNowForever', { services: listed, reason }),
      next: null,
      short: t('status.short.blockedForever'),
      nextAt: NaN,
    };
  }

  const holiday = holidayToday(status);
  const weekdayKey = status.today?.weekday;
  const weekday = weekdayKey !== undefined ? ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].indexOf(weekdayKey) : zonedParts(now, tz).weekday;
  const scheduled = blockRules.find((r) => r.during !== null && r.during !== undefined);
  let sentence: string;
  if (holiday.holiday) sentence = holiday.name !== null ? t('status.freeHoliday', { holiday: holiday.name }) : t('status.freeHolidayUnnamed');
  else if (weekday >= 5) sentence = t('status.freeWeekend');
  else if (scheduled !== undefined) sentence = t('status.freeOutside', { schedule: scheduled.during ?? '' });
  else sentence = t('status.freeNow');
  const inactive = blockRules.filter((r) => !r.active);
  const startAt = inactive.length > 0 ? earliest(inactive.map((r) => toMs(r.until))) : nextAt;
  return {
    blocked: false,
    sentence,
    next: Number.isFinite(startAt) ? t('status.nextBlock', { when: formatWhen(startAt, tz, lang, now) }) : null,
    short: t('status.short.free'),
    nextAt: startAt,
  };
}
