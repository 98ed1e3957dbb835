/**
 * The built-in service catalog: the streaming services a work-hours policy names, and the public
 * encrypted-DNS resolvers that would let a client walk around the gateway, kept as plain data.
 *
 * Every domain is a suffix matched at label boundaries (`youtube.com` covers `www.youtube.com`, not
 * `notyoutube.com`), lowercase ASCII with internationalised names in punycode. A domain belongs to one
 * service only, and no domain may cover shared infrastructure that office work needs (see
 * {@link SHARED_INFRASTRUCTURE}): when a service uses a shared platform, only its own hostnames on
 * that platform are listed. {@link catalogProblems} checks all of this; the test suite runs it.
 */

/** One built-in service. */
export interface CatalogEntry {
  /** The name rules and exemptions use: lowercase letters, digits and hyphens. */
  name: string;
  /** The name people know the service by. */
  title: string;
  category: 'streaming' | 'bypass';
  /** Domain suffixes, matched at label boundaries. */
  domains: readonly string[];
  /** Where the list comes from, and when it was last reviewed. */
  source: string;
  /**
   * The domains (each one of `domains`) whose addresses serve this service alone: its own video
   * caches, not front ends or CDN edges shared with other sites. Enforcement holds standing rejects
   * only on these; the others get the one-time cut at the boundary (docs/enforcement.md).
   */
  dedicated?: readonly string[];
  /** Addresses of the service that clients may use without asking DNS (the anycast addresses of
   *  public DNS resolvers), for the gateway's bypass rules. */
  addresses?: readonly string[];
}

const REVIEWED = 'reviewed 2026-11';
const OBSERVED = 'hostnames its web player and apps use, as seen in public code and published URLs';
const V2FLY = 'v2fly/domain-list-community';
const ADGUARD = 'AdGuard HostlistsRegistry blockable services';

/**
 * Suffixes of shared platforms that office work depends on (Google Workspace and APIs, the big CDNs,
 * cloud providers, the operating systems' own services, Indonesian government domains). No catalog
 * domain may equal one of these or be a parent of one; a service-specific hostname below one
 * (`youtubei.googleapis.com`, `media-vidio-com.akamaized.net`) is allowed.
 */
export const SHARED_INFRASTRUCTURE: readonly string[] = Object.freeze([
  // Google: APIs, static files, user content and images behind Workspace, Maps, Fonts, sign-in
  'google.com', 'googleapis.com', 'gstatic.com', 'googleusercontent.com', 'ggpht.com',
  'gvt1.com', 'gvt2.com', 'googlesource.com', 'withgoogle.com',
  // content delivery networks serving many unrelated customers
  'akamai.net', 'akamaized.net', 'akamaihd.net', 'akamaiedge.net', 'edgesuite.net', 'edgekey.net',
  'akadns.net', 'cloudfront.net', 'fastly.net', 'fastlylb.net', 'cloudflare.com', 'cloudflare.net',
  'azureedge.net', 'llnwd.net', 'cdn77.org', 'b-cdn.net', 'jsdelivr.net', 'unpkg.com',
  // cloud providers and platforms
  'amazonaws.com', 'amazon.com', 'windows.net', 'azure.com', 'microsoft.com', 'office.com',
  'office.net', 'live.com', 'microsoftonline.com', 'apple.com', 'icloud.com', 'mzstatic.com',
  'aliyuncs.com', 'github.com', 'githubusercontent.com',
  // the government's own domains
  'go.id',
]);

/** Registry-level suffixes: a catalog domain equal to one would cover a whole namespace. */
const REGISTRY_SUFFIXES: ReadonlySet<string> = new Set([
  'co.id', 'or.id', 'ac.id', 'sch.id', 'web.id', 'my.id', 'biz.id', 'net.id', 'mil.id', 'desa.id',
  'ponpes.id', 'co.uk', 'com.au', 'com.sg', 'com.my', 'co.jp', 'com.cn', 'github.io',
]);

function define(entry: CatalogEntry): CatalogEntry {
  return Object.freeze({
    ...entry, domains: Object.freeze([...entry.domains]),
    ...(entry.dedicated === undefined ? {} : { dedicated: Object.freeze([...entry.dedicated]) }),
    ...(entry.addresses === undefined ? {} : { addresses: Object.freeze([...entry.addresses]) }),
  });
}

/** YouTube's country domains that redirect to youtube.com: Indonesia, the region, the big markets. */
const YOUTUBE_COUNTRY_DOMAINS = [
  'youtube.co.id',
  'youtube.com.my', 'youtube.my', 'youtube.com.sg', 'youtube.sg', 'youtube.com.ph', 'youtube.ph',
  'youtube.co.th', 'youtube.vn', 'youtube.la', 'youtube.com.au', 'youtube.co.nz',
  'youtube.co.in', 'youtube.in', 'youtube.lk', 'youtube.com.pk', 'youtube.pk', 'youtube.com.bd',
  'youtube.co.jp', 'youtube.jp', 'youtube.co.kr', 'youtube.kr', 'youtube.com.hk', 'youtube.hk',
  'youtube.com.tw', 'youtube.ae', 'youtube.co.ae', 'youtube.com.sa', 'youtube.sa', 'youtube.com.tr',
  'youtube.co.uk', 'youtube.de', 'youtube.fr', 'youtube.nl', 'youtube.be', 'youtube.es', 'youtube.it',
  'youtube.ch', 'youtube.at', 'youtube.ru', 'youtube.ca', 'youtube.com.br', 'youtube.com.mx',
];

/** The built-in services, in the order the console and `rambu check` list them. */
export const BUILTIN_SERVICES: readonly CatalogEntry[] = Object.freeze([
  define({
    name: 'youtube',
    title: 'YouTube',
    category: 'streaming',
    domains: [
      // the site, video segments, thumbnails, short links
      'youtube.com', 'googlevideo.com', 'ytimg.com', 'youtu.be', 'yt.be',
      // YouTube's own hostnames on shared Google platforms (the platforms themselves stay open)
      'youtubei.googleapis.com', 'youtube.googleapis.com', 'youtubeembeddedplayer.googleapis.com',
      'yt3.ggpht.com', 'yt4.ggpht.com', 'yt3.googleusercontent.com',
      'youtube-ui.l.google.com', 'wide-youtube.l.google.com',
      'youtube-nocookie.com', 'youtubekids.com', 'youtubeeducation.com', 'youtubegaming.com',
      'withyoutube.com', 'youtube.tv',
      ...YOUTUBE_COUNTRY_DOMAINS,
    ],
    // Video segments come from Google's caches for YouTube (rr*.googlevideo.com, also inside ISPs);
    // www.youtube.com, i.ytimg.com and the API hosts answer from front ends Search and Docs share.
    dedicated: ['googlevideo.com'],
    source: `YouTube's help for network administrators (the hostnames its restricted mode names); ${OBSERVED}; public lists ${V2FLY} (youtube) and ${ADGUARD} (youtube), with their whole-platform entries such as ggpht.com left out; ${REVIEWED}`,
  }),
  define({
    name: 'vidio',
    title: 'Vidio',
    category: 'streaming',
    domains: [
      'vidio.com', 'vidiocdn.com', 'vidio.static6.com',
      'media-vidio-com.akamaized.net', 'token-media-vidio-com.akamaized.net',
      'geo-id-media-vidio-com.akamaized.net', 'geo-id-tl-media-vidio-com.akamaized.net',
      'etslive-2-vidio-com.akamaized.net', 'static-playback-vidio-com.akamaized.net',
      'static-web-prod-vidio.akamaized.net',
    ],
    source: `${OBSERVED} (web player, thumbnails on thumbor.prod.vidiocdn.com and cdn*.production.vidio.static6.com, HLS playlists); Indonesian routing lists for Vidio; third-party DRM and CDN hosts shared with other customers left out; ${REVIEWED}`,
  }),
  define({
    name: 'vimeo',
    title: 'Vimeo',
    category: 'streaming',
    domains: [
      'vimeo.com', 'vimeocdn.com', 'vhx.tv', 'livestream.com',
      'vod-adaptive.akamaized.net', 'vod-progressive.akamaized.net',
    ],
    source: `${OBSERVED} (player.vimeo.com, *.vimeocdn.com, Akamai vod-adaptive/vod-progressive hosts); Vimeo OTT (vhx.tv) and Livestream, both owned by Vimeo; public lists ${V2FLY} (vimeo) and ${ADGUARD} (vimeo); ${REVIEWED}`,
  }),
  define({
    name: 'netflix',
    title: 'Netflix',
    category: 'streaming',
    domains: [
      'netflix.com', 'netflix.net', 'nflxvideo.net', 'nflximg.net', 'nflximg.com', 'nflxext.com',
      'nflxso.net', 'nflxsearch.net', 'netflix.com.edgesuite.net',
      'netflixdnstest1.com', 'netflixdnstest2.com', 'netflixdnstest3.com', 'netflixdnstest4.com',
      'netflixdnstest5.com', 'netflixdnstest6.com', 'netflixdnstest7.com', 'netflixdnstest8.com',
      'netflixdnstest9.com', 'netflixdnstest10.com',
    ],
    // Open Connect appliances serve Netflix video only.
    dedicated: ['nflxvideo.net'],
    source: `Netflix Open Connect documentation (nflxvideo.net serves video); ${OBSERVED}; public lists ${V2FLY} (netflix) and ${ADGUARD} (netflix); Netflix's AWS API hostnames are left out because they sit under amazonaws.com; ${REVIEWED}`,
  }),
  define({
    name: 'tiktok',
    title: 'TikTok',
    category: 'streaming',
    domains: [
      'tiktok.com', 'tiktokv.com', 'tiktokv.us', 'tiktokcdn.com', 'tiktokcdn-us.com', 'ttwstatic.com',
      'ttlivecdn.com', 'musical.ly', 'muscdn.com', 'p16-tiktokcdn-com.akamaized.net',
    ],
    source: `${OBSERVED} (video on *.tiktokcdn.com, web assets on *.ttwstatic.com, live on ttlivecdn.com); public lists ${V2FLY} (tiktok) and ${ADGUARD} (tiktok); ByteDance-wide domains (byteoversea.com, ibyteimg.com, ibytedtos.com) left out because other ByteDance products use them; ${REVIEWED}`,
  }),
  define({
    name: 'viu',
    title: 'Viu',
    category: 'streaming',
    domains: [
      'viu.com',
      'dfp6rglgjqszk.cloudfront.net', 'd1k2us671qcoau.cloudfront.net', 'd2anahhhmp1ffz.cloudfront.net',
    ],
    source: `${OBSERVED}; Viu's own CloudFront distributions as listed by ${V2FLY} (viu); ${REVIEWED}`,
  }),
  define({
    name: 'wetv',
    title: 'WeTV',
    category: 'streaming',
    domains: ['wetv.vip', 'wetvinfo.com'],
    source: `${OBSERVED} (play.wetv.vip, images on *.wetvinfo.com); Tencent-wide domains (qq.com, gtimg.com) left out because other Tencent products use them; ${REVIEWED}`,
  }),
  define({
    name: 'iqiyi',
    title: 'iQIYI',
    category: 'streaming',
    domains: [
      'iq.com', 'iqiyi.com', 'iqiyipic.com', 'qiyi.com', 'qiyipic.com', '71.am', '71edge.com',
      'pps.tv', 'ppsimg.com',
    ],
    source: `${OBSERVED} (the international site iq.com is the one used in Indonesia); public lists ${V2FLY} (iqiyi) and ${ADGUARD} (iqiyi); ${REVIEWED}`,
  }),
  define({
    name: 'disney-hotstar',
    title: 'Disney+ Hotstar',
    category: 'streaming',
    domains: [
      'disneyplus.com', 'disney-plus.net', 'bamgrid.com', 'dssott.com',
      'hotstar.com', 'hotstar-cdn.net', 'hotstarext.com', 'hsprepack.akamaized.net',
    ],
    source: `${OBSERVED} (Disney+ Hotstar in Indonesia runs on the Disney+ platform: bamgrid.com playback, dssott.com media, plus the earlier hotstar.com hosts); public lists ${V2FLY} (hotstar, bamtech) and ${ADGUARD} (disneyplus); Disney's non-streaming sites left out; ${REVIEWED}`,
  }),
  define({
    name: 'prime-video',
    title: 'Prime Video',
    category: 'streaming',
    domains: [
      'primevideo.com', 'amazonvideo.com', 'aiv-cdn.net', 'aiv-delivery.net',
      'atv-ps.amazon.com', 'atv-ps-fe.amazon.com', 'atv-ps-eu.amazon.com',
      'atv-ext.amazon.com', 'atv-ext-fe.amazon.com', 'atv-ext-eu.amazon.com',
    ],
    source: `${OBSERVED} (players call the atv-* hosts, video from aiv-cdn.net and aiv-delivery.net); public lists ${V2FLY} (primevideo) and ${ADGUARD} (amazon_streaming); image hosts shared with the Amazon store left out; ${REVIEWED}`,
  }),
  define({
    name: 'twitch',
    title: 'Twitch',
    category: 'streaming',
    domains: ['twitch.tv', 'ttvnw.net', 'jtvnw.net', 'twitchcdn.net', 'twitchsvc.net', 'ext-twitch.tv'],
    // Live video comes from Twitch's own video edges (video-edge-*.ttvnw.net).
    dedicated: ['ttvnw.net'],
    source: `${OBSERVED}; public lists ${V2FLY} (twitch) and ${ADGUARD} (twitch); live-video.net left out because Amazon IVS serves other customers' streams from it; ${REVIEWED}`,
  }),
  define({
    name: 'spotify',
    title: 'Spotify',
    category: 'streaming',
    domains: [
      'spotify.com', 'scdn.co', 'spotifycdn.com', 'spotifycdn.net', 'pscdn.co', 'spoti.fi', 'spotify.link',
      'audio-ak-spotify-com.akamaized.net', 'audio4-ak-spotify-com.akamaized.net',
      'heads-ak-spotify-com.akamaized.net', 'heads4-ak-spotify-com.akamaized.net',
      'spotify.com.edgesuite.net', 'spotify.map.fastly.net', 'spotify.map.fastlylb.net',
    ],
    source: `${OBSERVED} (audio on scdn.co, spotifycdn.com and Spotify's own Akamai and Fastly hosts, podcasts on pscdn.co); public lists ${V2FLY} (spotify) and ${ADGUARD} (spotify); ${REVIEWED}`,
  }),
  define({
    name: 'rctiplus',
    title: 'RCTI+',
    category: 'streaming',
    domains: ['rctiplus.com', 'rctiplus.id', 'rcti.plus'],
    source: `${OBSERVED} (web, API and embed hosts under rctiplus.com); Indonesian routing lists for RCTI+; MNC group-wide domains left out because other MNC services use them; ${REVIEWED}`,
  }),
  define({
    name: 'vision-plus',
    title: 'Vision+',
    category: 'streaming',
    domains: ['visionplus.id', 'mncnow.id'],
    source: `${OBSERVED}; mncnow.id is the service's earlier name (MNC Now); Indonesian routing lists for Vision+; ${REVIEWED}`,
  }),
  define({
    name: 'catchplay',
    title: 'CATCHPLAY+',
    category: 'streaming',
    domains: ['catchplay.com'],
    source: `${OBSERVED}; ${REVIEWED}`,
  }),
  define({
    name: 'dailymotion',
    title: 'Dailymotion',
    category: 'streaming',
    domains: ['dailymotion.com', 'dai.ly', 'dmcdn.net', 'dm-event.net'],
    source: `${OBSERVED} (video and thumbnails on dmcdn.net, dai.ly short links); public lists ${V2FLY} (dailymotion) and ${ADGUARD} (dailymotion); ${REVIEWED}`,
  }),
  define({
    name: 'bilibili',
    title: 'Bilibili / Bstation',
    category: 'streaming',
    domains: [
      'bilibili.tv', 'biliintl.com', 'bstarstatic.com', 'bilibili.com', 'b23.tv', 'biliapi.com',
      'biliapi.net', 'bilivideo.com', 'hdslb.com',
      'p-bstarstatic.akamaized.net', 'pic-bstarstatic.akamaized.net',
      'upos-bstar-mirrorakam.akamaized.net', 'upos-bstar1-mirrorakam.akamaized.net',
      'upos-hz-mirrorakam.akamaized.net',
    ],
    source: `${OBSERVED} (Bstation, the international app, on bilibili.tv, biliintl.com and bstarstatic.com; video on bilivideo.com and Bilibili's own Akamai hosts); public list ${V2FLY} (bilibili); ${REVIEWED}`,
  }),
  define({
    name: 'viki',
    title: 'Rakuten Viki',
    category: 'streaming',
    domains: ['viki.com', 'viki.io'],
    source: `${OBSERVED} (site on viki.com, API and media on viki.io); ${REVIEWED}`,
  }),
  define({
    name: 'mola',
    title: 'Mola',
    category: 'streaming',
    domains: ['mola.tv'],
    source: `${OBSERVED}; ${REVIEWED}`,
  }),
  define({
    name: 'genflix',
    title: 'Genflix',
    category: 'streaming',
    domains: ['genflix.co.id'],
    source: `${OBSERVED}; ${REVIEWED}`,
  }),
  define({
    name: 'maxstream',
    title: 'MAXstream',
    category: 'streaming',
    domains: ['maxstream.tv'],
    source: `${OBSERVED}; the operator's own domains (telkomsel.com) left out because its customer services use them; ${REVIEWED}`,
  }),
  define({
    name: 'doh-bypass',
    title: 'Public encrypted DNS resolvers and bypass canaries',
    category: 'bypass',
    domains: [
      // Google Public DNS
      'dns.google', 'dns.google.com',
      // Cloudflare 1.1.1.1 (covers mozilla., chrome., 1dot1dot1dot1., security., family. ...)
      'cloudflare-dns.com', 'one.one.one.one',
      // Quad9
      'dns.quad9.net', 'dns9.quad9.net', 'dns10.quad9.net', 'dns11.quad9.net',
      // Cisco OpenDNS
      'doh.opendns.com', 'doh.familyshield.opendns.com',
      // AdGuard DNS
      'dns.adguard-dns.com', 'unfiltered.adguard-dns.com', 'family.adguard-dns.com', 'd.adguard-dns.com',
      'dns.adguard.com', 'dns-unfiltered.adguard.com', 'dns-family.adguard.com',
      // NextDNS (configuration IDs are subdomains)
      'dns.nextdns.io',
      // CleanBrowsing
      'doh.cleanbrowsing.org', 'family-filter-dns.cleanbrowsing.org', 'adult-filter-dns.cleanbrowsing.org',
      'security-filter-dns.cleanbrowsing.org',
      // Mullvad
      'doh.mullvad.net', 'dns.mullvad.net',
      // Control D
      'dns.controld.com', 'freedns.controld.com',
      // DNS.SB, Comcast, CIRA Canadian Shield, AliDNS, DNSPod, TWNIC
      'doh.dns.sb', 'doh.xfinity.com', 'canadianshield.cira.ca', 'dns.alidns.com', 'doh.pub', 'dot.pub',
      'dns.twnic.tw',
      // canaries: Firefox turns its own DNS-over-HTTPS off, and Apple devices turn iCloud Private
      // Relay off, when these names get a negative answer
      'use-application-dns.net', 'mask.icloud.com', 'mask-h2.icloud.com',
    ],
    // The resolvers' hostnames answer only DNS; the canaries are never answered when blocked.
    dedicated: [
      'dns.google', 'dns.google.com', 'cloudflare-dns.com', 'one.one.one.one', 'dns.quad9.net',
      'doh.opendns.com', 'dns.adguard-dns.com', 'dns.nextdns.io', 'doh.cleanbrowsing.org', 'doh.mullvad.net',
    ],
    // The anycast addresses the resolvers publish for their DNS-over-HTTPS and DNS-over-TLS service.
    addresses: [
      '8.8.8.8', '8.8.4.4', '2001:4860:4860::8888', '2001:4860:4860::8844',
      '1.1.1.1', '1.0.0.1', '2606:4700:4700::1111', '2606:4700:4700::1001',
      '9.9.9.9', '149.112.112.112', '2620:fe::fe', '2620:fe::9',
      '208.67.222.222', '208.67.220.220', '94.140.14.14', '94.140.15.15',
    ],
    source: `each resolver's own setup instructions (the DoH and DoT hostnames they publish) and the resolver lists built into Firefox and Chrome; canaries from Mozilla's documentation for network operators (use-application-dns.net) and Apple's "Prepare your network for iCloud Private Relay"; ${REVIEWED}`,
  }),
]);

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const NAME = /^[a-z][a-z0-9-]*$/;
const CATEGORIES: ReadonlySet<string> = new Set(['streaming', 'bypass']);

/** Why `domain` is not a valid catalog domain, or null when it is. */
function domainSyntaxProblem(domain: string): string | null {
  if (domain === '') return 'is empty';
  for (let i = 0; i < domain.length; i++) {
    if (domain.charCodeAt(i) > 127) return 'is not ASCII: write internationalised names in punycode (xn--)';
  }
  if (domain !== domain.toLowerCase()) return 'has uppercase letters: write it in lowercase';
  if (domain.endsWith('.')) return 'ends with a dot: write it without the trailing dot';
  if (domain.length > 253) return 'is longer than 253 characters';
  const labels = domain.split('.');
  if (labels.length < 2) return 'is a single label: a top-level domain would cover a whole namespace';
  for (const label of labels) {
    if (!LABEL.test(label)) return `has an invalid label "${label}": labels are 1-63 of a-z, 0-9 and inner hyphens`;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return 'looks like an IP address, not a domain';
  if (REGISTRY_SUFFIXES.has(domain)) return 'is a registry suffix: it would cover every domain registered under it';
  return null;
}

/** The shared-infrastructure suffix that `domain` equals or is a parent of, or null. */
function sharedInfrastructureCovered(domain: string, shared: readonly string[]): string | null {
  for (const suffix of shared) {
    if (suffix === domain || suffix.endsWith(`.${domain}`)) return suffix;
  }
  return null;
}

/**
 * Everything wrong with a catalog, one sentence per problem; empty when the catalog is sound.
 * Checks names (unique, well formed), titles, categories and sources, each domain's syntax,
 * domains that equal or contain shared infrastructure, and domains that two entries both claim
 * (the same domain, or one under the other), and domains repeated or already covered in one entry.
 */
export function catalogProblems(entries: readonly CatalogEntry[] = BUILTIN_SERVICES): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  /** Each valid domain and the entry that lists it (the first, when several do). */
  const owners = new Map<string, string>();

  for (const entry of entries) {
    const who = entry.name;
    if (!NAME.test(who)) problems.push(`service name "${who}" is invalid: use lowercase letters, digits and hyphens, starting with a letter`);
    if (names.has(who)) problems.push(`service name "${who}" is used by more than one entry`);
    names.add(who);
    if (entry.title.trim() === '') problems.push(`${who}: title is empty`);
    if (entry.source.trim() === '') problems.push(`${who}: source is empty: say where the list comes from`);
    if (!CATEGORIES.has(entry.category)) problems.push(`${who}: category "${String(entry.category)}" is unknown: use streaming or bypass`);
    if (entry.domains.length === 0) problems.push(`${who}: has no domains`);
    for (const d of entry.dedicated ?? []) {
      if (!entry.domains.includes(d)) problems.push(`${who}: dedicated domain "${d}" is not one of its domains`);
    }

    const seen = new Set<string>();
    for (const domain of entry.domains) {
      const syntax = domainSyntaxProblem(domain);
      if (syntax !== null) {
        problems.push(`${who}: domain "${domain}" ${syntax}`);
        continue;
      }
      if (seen.has(domain)) {
        problems.push(`${who}: domain "${domain}" is listed twice`);
        continue;
      }
      seen.add(domain);
      const shared = sharedInfrastructureCovered(domain, SHARED_INFRASTRUCTURE);
      if (shared !== null) {
        const how = shared === domain ? 'is' : 'covers';
        problems.push(`${who}: domain "${domain}" ${how} shared infrastructure "${shared}": list only the service's own hostnames under it`);
      }
      const owner = owners.get(domain);
      if (owner !== undefined && owner !== who) {
        problems.push(`${who}: domain "${domain}" is also in ${owner}: a domain belongs to one service`);
      } else if (owner === undefined) {
        owners.set(domain, who);
      }
    }
  }

  // A domain under another listed domain: redundant in one entry, ambiguous across two.
  for (const [domain, who] of owners) {
    for (let dot = domain.indexOf('.'); dot !== -1; dot = domain.indexOf('.', dot + 1)) {
      const parent = domain.slice(dot + 1);
      const owner = owners.get(parent);
      if (owner === undefined) continue;
      problems.push(owner === who
        ? `${who}: domain "${domain}" is already covered by "${parent}" in the same entry`
        : `${who}: domain "${domain}" is under "${parent}" of ${owner}: a name would belong to two services`);
    }
  }
  return problems;
}
