/** Configuration: the one schema, loading from YAML with file:line errors, defaults, settings. */
export type { Config, EnforceConfig, RuleConfig, ExemptionConfig, DnsConfig, WebConfig, StorageConfig, TimeRangeConfig, DayName } from './schema.js';
export { ConfigSchema, DAY_NAMES } from './schema.js';
export type { Settings, EnforceSettings, FlowSettings, ProbeSettings, DnsSettings, WebSettings, StorageSettings, BlockResponse, UpstreamSpec, HostPort } from './settings.js';
export { DEFAULT_ALLOW_FROM } from './settings.js';
export type { LoadedConfig, LoadOptions } from './load.js';
export { loadConfigFile, parseConfigText } from './load.js';
export { parseHostPort, parseUpstream, DEFAULTS } from './resolve-settings.js';
export { DEFAULT_CONFIG_YAML } from './default-config.js';
export { composeShared, LOCAL_KEYS, sharedPart } from './shared-policy-text.js';
export { loadConfigFileAsync, parseConfigTextAsync, readConfigFiles } from './load-async.js';
export { loadConfigInThread, type LoadInThreadOptions } from './load-thread.js';
export { FILE_LIMITS, readNamedFile, readNamedFileSync } from './named-file.js';
export { locateInText } from './locate.js';
