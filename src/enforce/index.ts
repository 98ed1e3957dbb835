/**
 * Firewall enforcement: cut running connections at the allow->block boundary and hold them closed
 * while the block lasts, from the addresses the answer index says each client was given. Back-ends
 * behind {@link EnforceBackend}: nftables (table inet rambu) and MikroTik RouterOS (address lists
 * through its REST API). Other folders import only here.
 */
export { blockPairs } from './block-plan.js';
export type { ClientBlock } from './block-plan.js';
export { ALWAYS_SPARED, NeverTouch, PRIVATE_RANGES } from './never-touch.js';
export type { NeverTouchOptions } from './never-touch.js';
export { conntrackDeleteArgs, CUT_SECONDS, cutElementsText, NFT_LIST_ARGS, nftRuleset, nftTeardown, pairsFromNftJson, TABLE_FAMILY, TABLE_NAME } from './nft-ruleset.js';
export type { BlockPair, NftPlan } from './nft-ruleset.js';
export { createNftBackend } from './nft-backend.js';
export type { CommandRunner, EnforceBackend, NftBackendOptions } from './nft-backend.js';
export { DOH_SERVICE, dohCoverage, redirectChain, redirectForwardRules, redirectSets } from './dns-redirect.js';
export type { DnsRedirectPlan } from './dns-redirect.js';
export { dedicatedNames, newlyBlocked, planEnforcement } from './schedule-plan.js';
export type { DedicatedNames, EnforcePlan, PlanIndex, PlanInput, ServiceState } from './schedule-plan.js';
export { createEnforcer } from './enforcer.js';
export type { Enforcer, EnforcerOptions, EnforcerStatus, Timers } from './enforcer.js';
export { createRouterOsBackend, readPasswordFile, routerOsScript } from './routeros/index.js';
export type { RouterOsBackendOptions, RouterOsScriptOptions } from './routeros/index.js';
