/**
 * Realistic-looking random domain names: blocklist entries in the style of ad, tracker and
 * gambling lists (`xk3fa9-media.lorivex-ads.com`, `pixel42.tamoru.xyz`) and allowed names in the style
 * of an office's everyday traffic (`www.kelavo-berita.co.id`, `api.dunomi-cloud.com`).
 */
import { createWeightedPicker, type Random } from './prng.js';

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';
const CONSONANTS = 'bcdfghjklmnprstvwz';
const VOWELS = 'aeiou';

const BLOCK_WORDS = [
  'ads', 'adserv', 'media', 'track', 'tracker', 'pixel', 'stat', 'stats', 'metrics', 'promo', 'click',
  'banner', 'cdn', 'counter', 'beacon', 'popup', 'tag', 'sync', 'analytics', 'affiliate', 'offer',
  'bet', 'casino', 'slot', 'win', 'bonus', 'deal', 'push', 'notify', 'video', 'stream', 'live', 'track2',
  'log', 'event', 'measure', 'target', 'rtb', 'bid', 'serve', 'img', 'static', 'delivery', 'collect',
] as const;

const ALLOWED_WORDS = [
  'berita', 'portal', 'kota', 'toko', 'sekolah', 'news', 'shop', 'bank', 'mail', 'docs', 'cloud', 'app',
  'web', 'data', 'maps', 'learn', 'travel', 'kampus', 'pajak', 'layanan', 'office', 'dev', 'wiki',
  'forum', 'market', 'pay', 'health', 'sehat', 'info', 'media', 'tech', 'store', 'book', 'jobs',
] as const;

const HOSTS = ['www', 'api', 'static', 'img', 'mail', 'cdn', 'app', 'm', 'login', 'portal', 'assets', 'docs'] as const;

const TLD = createWeightedPicker<string>([
  ['com', 34], ['net', 9], ['org', 6], ['info', 4], ['io', 3], ['co', 3], ['xyz', 4], ['top', 4],
  ['online', 3], ['site', 3], ['biz', 2], ['club', 2], ['ru', 3], ['de', 2], ['fr', 1], ['nl', 1],
  ['pl', 1], ['br', 1], ['in', 1], ['cn', 2], ['jp', 1], ['id', 2], ['co.id', 3], ['web.id', 1],
  ['my.id', 1], ['com.br', 1], ['co.uk', 1], ['com.au', 1], ['app', 1], ['live', 1], ['shop', 1],
]);

function char(random: Random, set: string): string {
  return set[Math.floor(random.next() * set.length)]!;
}

/** Random letters and digits, `min` to `max` long. */
function alphanumeric(random: Random, min: number, max: number): string {
  let out = '';
  const length = random.int(min, max);
  for (let i = 0; i < length; i++) out += char(random, ALPHANUMERIC);
  return out;
}

/** A pronounceable made-up word such as `lorivex`. */
function pronounceable(random: Random, min: number, max: number): string {
  let out = '';
  const length = random.int(min, max);
  for (let i = 0; i < length; i++) out += char(random, i % 2 === 0 ? CONSONANTS : VOWELS);
  return random.next() < 0.3 ? out + char(random, CONSONANTS) : out;
}

function blockedSld(random: Random): string {
  const r = random.next();
  if (r < 0.5) return `${pronounceable(random, 4, 8)}-${random.pick(BLOCK_WORDS)}`;
  if (r < 0.8) return pronounceable(random, 5, 10);
  return `${pronounceable(random, 4, 8)}${random.int(1, 999)}`;
}

/** One blocklist entry. Duplicates are possible; the caller removes them. */
export function blockedName(random: Random): string {
  const sld = `${blockedSld(random)}.${TLD(random)}`;
  const r = random.next();
  if (r < 0.35) return `${alphanumeric(random, 4, 9)}-${random.pick(BLOCK_WORDS)}.${sld}`;
  if (r < 0.6) return `${random.pick(BLOCK_WORDS)}${random.int(1, 99)}.${sld}`;
  if (r < 0.85) return sld;
  return `${alphanumeric(random, 3, 8)}.${random.pick(BLOCK_WORDS)}.${sld}`;
}

/** A name below a blocked entry, as a client would ask for it. */
export function subdomainOf(random: Random, blocked: string): string {
  const r = random.next();
  if (r < 0.4) return `${random.pick(HOSTS)}.${blocked}`;
  return `${alphanumeric(random, 2, 10)}.${blocked}`;
}

/** One allowed name. The caller checks it against the blocklist. */
export function allowedName(random: Random): string {
  const sld = `${pronounceable(random, 4, 8)}${random.next() < 0.5 ? '-' : ''}${random.pick(ALLOWED_WORDS)}.${TLD(random)}`;
  return random.next() < 0.2 ? sld : `${random.pick(HOSTS)}.${sld}`;
}

/** True when `name` or any parent of it (down to two labels) is in `blocked`. */
export function isCovered(name: string, blocked: ReadonlySet<string>): boolean {
  let at = 0;
  for (;;) {
    if (blocked.has(at === 0 ? name : name.slice(at))) return true;
    const dot = name.indexOf('.', at);
    if (dot < 0 || name.indexOf('.', dot + 1) < 0) return false;
    at = dot + 1;
  }
}
