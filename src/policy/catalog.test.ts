import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_SERVICES, SHARED_INFRASTRUCTURE, catalogProblems } from './catalog.js';
import type { CatalogEntry } from './catalog.js';

function service(name: string): CatalogEntry {
  const found = BUILTIN_SERVICES.find((e) => e.name === name);
  assert.ok(found, `built-in service ${name} is missing`);
  return found;
}

/** The catalog entries whose domains cover `host` at a label boundary (a small reference matcher). */
function servicesFor(host: string): string[] {
  const name = host.toLowerCase().replace(/\.$/, '');
  return BUILTIN_SERVICES
    .filter((e) => e.domains.some((d) => name === d || name.endsWith(`.${d}`)))
    .map((e) => e.name);
}

function entry(name: string, domains: string[], overrides: Partial<CatalogEntry> = {}): CatalogEntry {
  return { name, title: name, category: 'streaming', domains, source: 'test, 2026-11', ...overrides };
}

test('the built-in catalog has no problems', () => {
  assert.deepEqual(catalogProblems(), []);
});

test('the circular names youtube, vidio and vimeo, each with its video and image hosts', () => {
  const youtube = service('youtube').domains;
  for (const d of ['youtube.com', 'googlevideo.com', 'ytimg.com', 'youtu.be', 'youtube.co.id', 'youtube-nocookie.com',
    'youtubei.googleapis.com', 'youtube.googleapis.com', 'yt3.ggpht.com']) {
    assert.ok(youtube.includes(d), `youtube lacks ${d}`);
  }
  const vidio = service('vidio').domains;
  for (const d of ['vidio.com', 'vidiocdn.com']) assert.ok(vidio.includes(d), `vidio lacks ${d}`);
  const vimeo = service('vimeo').domains;
  for (const d of ['vimeo.com', 'vimeocdn.com']) assert.ok(vimeo.includes(d), `vimeo lacks ${d}`);
});

test('at least ten streaming services beyond the circular, including the common ones in Indonesia', () => {
  const streaming = BUILTIN_SERVICES.filter((e) => e.category === 'streaming').map((e) => e.name);
  assert.ok(streaming.length >= 13, `only ${streaming.length} streaming services`);
  for (const name of ['netflix', 'tiktok', 'viu', 'wetv', 'iqiyi', 'disney-hotstar', 'prime-video', 'twitch',
    'spotify', 'rctiplus', 'catchplay', 'dailymotion']) {
    assert.ok(streaming.includes(name), `${name} is missing`);
  }
  assert.ok(service('netflix').domains.includes('nflxvideo.net'));
});

test('every entry says where its list comes from, with a date', () => {
  for (const e of BUILTIN_SERVICES) assert.match(e.source, /2026-11/, `${e.name} has no dated source`);
});

test('doh-bypass holds the public resolvers and the bypass canaries', () => {
  const bypass = service('doh-bypass');
  assert.equal(bypass.category, 'bypass');
  for (const d of ['dns.google', 'cloudflare-dns.com', 'dns.quad9.net', 'use-application-dns.net', 'mask.icloud.com',
    'mask-h2.icloud.com']) {
    assert.ok(bypass.domains.includes(d), `doh-bypass lacks ${d}`);
  }
  assert.deepEqual(servicesFor('mozilla.cloudflare-dns.com'), ['doh-bypass']);
  assert.deepEqual(servicesFor('chrome.cloudflare-dns.com.'), ['doh-bypass']);
});

test('no entry lists a shared Google platform as a whole', () => {
  for (const e of BUILTIN_SERVICES) {
    for (const shared of ['googleapis.com', 'gstatic.com', 'googleusercontent.com', 'ggpht.com', 'google.com']) {
      assert.ok(!e.domains.includes(shared), `${e.name} lists ${shared}`);
    }
  }
});

test('hostnames office work needs match no built-in service', () => {
  const office = [
    'www.google.com', 'mail.google.com', 'docs.google.com', 'accounts.google.com', 'fonts.googleapis.com',
    'www.googleapis.com', 'maps.googleapis.com', 'fonts.gstatic.com', 'www.gstatic.com', 'lh3.googleusercontent.com',
    'lh3.ggpht.com', 'outlook.office.com', 'login.microsoftonline.com', 'www.icloud.com', 'aws.amazon.com',
    'a248.e.akamai.net', 'd111111abcdef8.cloudfront.net', 'www.lkpp.go.id', 'sijaja.pasuruankota.go.id',
    'notyoutube.com', 'youtube.com.evil.example',
  ];
  for (const host of office) assert.deepEqual(servicesFor(host), [], `${host} would be blocked`);
});

test('service hostnames match their service at label boundaries', () => {
  const cases: [string, string][] = [
    ['www.youtube.com', 'youtube'], ['rr3---sn-npoe7ne7.googlevideo.com', 'youtube'], ['i.ytimg.com', 'youtube'],
    ['youtubei.googleapis.com', 'youtube'], ['yt3.ggpht.com', 'youtube'], ['m.youtube.co.id', 'youtube'],
    ['www.vidio.com', 'vidio'], ['thumbor.prod.vidiocdn.com', 'vidio'], ['player.vimeo.com', 'vimeo'],
    ['i.vimeocdn.com', 'vimeo'], ['occ-0-58-64.1.nflxso.net', 'netflix'], ['v16m.tiktokcdn.com', 'tiktok'],
  ];
  for (const [host, name] of cases) assert.deepEqual(servicesFor(host), [name], host);
});

test('SHARED_INFRASTRUCTURE contains the platforms the issue names', () => {
  for (const s of ['googleapis.com', 'gstatic.com', 'googleusercontent.com', 'ggpht.com', 'akamaized.net', 'cloudfront.net']) {
    assert.ok(SHARED_INFRASTRUCTURE.includes(s), s);
  }
});

test('catalogProblems finds planted mistakes', () => {
  const bad: CatalogEntry[] = [
    entry('good', ['example-video.com']),
    entry('google-everything', ['googleapis.com', 'gstatic.com']),
    entry('parent-of-cdn', ['net', 'akamaized.net']),
    entry('sloppy', ['Example-Video.net', 'bad_label.com', '-leading.com', 'trailing.com.', 'contoh.xn--p1ai', 'ÜBER.de']),
    entry('good', ['another.com']),
    entry('thief', ['example-video.com', 'cdn.example-video.com']),
    entry('redundant', ['same.com', 'same.com', 'www.redundant.com', 'redundant.com']),
    entry('Bad Name', ['fine.com'], { source: ' ' }),
    entry('no-domains', []),
    entry('registry', ['co.id', 'go.id']),
  ];
  const problems = catalogProblems(bad);
  const expect = (pattern: RegExp) => assert.ok(problems.some((p) => pattern.test(p)), `no problem matches ${pattern}:\n${problems.join('\n')}`);

  expect(/google-everything: domain "googleapis.com" is shared infrastructure/);
  expect(/google-everything: domain "gstatic.com" is shared infrastructure/);
  expect(/parent-of-cdn: domain "net" is a single label/);
  expect(/parent-of-cdn: domain "akamaized.net" is shared infrastructure/);
  expect(/sloppy: domain "Example-Video.net" has uppercase/);
  expect(/sloppy: domain "bad_label.com" has an invalid label/);
  expect(/sloppy: domain "-leading.com" has an invalid label/);
  expect(/sloppy: domain "trailing.com." ends with a dot/);
  expect(/sloppy: domain "ÜBER.de" is not ASCII/);
  expect(/service name "good" is used by more than one entry/);
  expect(/thief: domain "example-video.com" is also in good/);
  expect(/thief: domain "cdn.example-video.com" is under "example-video.com" of good/);
  expect(/redundant: domain "same.com" is listed twice/);
  expect(/redundant: domain "www.redundant.com" is already covered by "redundant.com"/);
  expect(/service name "Bad Name" is invalid/);
  expect(/Bad Name: source is empty/);
  expect(/no-domains: has no domains/);
  expect(/registry: domain "co.id" is a registry suffix/);
  expect(/registry: domain "go.id" is shared infrastructure/);

  assert.ok(!problems.some((p) => p.includes('xn--p1ai')), 'a punycode label is valid');
});

test('service-specific hostnames under shared platforms pass the validator', () => {
  const own = entry('own-hosts', ['youtubei.googleapis.com', 'yt3.ggpht.com', 'media-example-com.akamaized.net', 'contoh.xn--p1ai']);
  assert.deepEqual(catalogProblems([own]), []);
});

test('the catalog is frozen', () => {
  assert.ok(Object.isFrozen(BUILTIN_SERVICES));
  assert.ok(BUILTIN_SERVICES.every((e) => Object.isFrozen(e) && Object.isFrozen(e.domains)));
});
