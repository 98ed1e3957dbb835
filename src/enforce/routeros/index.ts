/**
 * The MikroTik RouterOS back-end of enforcement: address lists and connection removal through the
 * RouterOS v7 REST API, and the one-time script that puts the firewall rules on the router.
 */
export { createRouterOsBackend } from './routeros-backend.js';
export type { RouterOsBackendOptions } from './routeros-backend.js';
export { readPasswordFile } from './password-file.js';
export { routerOsScript } from './routeros-script.js';
export type { RouterOsScriptOptions } from './routeros-script.js';
export { clientList, LIST_PREFIX, ROUTEROS_COMMENT, serviceList } from './address-list-plan.js';
export { createRestClient, RouterOsError } from './rest-client.js';
export type { HttpMethod, RestClient, RestClientOptions } from './rest-client.js';
export { formatRouterOsTime, parseRouterOsTime } from './routeros-time.js';
