/**
 * The web console: a Fastify app (API with a JSON schema on every route, and the built UI files),
 * built without listening so that the serve command listens and tests inject.
 */
export { buildApp, LOG_REDACT_PATHS } from './build-app.js';
export type { BuildAppOptions } from './build-app.js';
export { ensureAdmin } from './ensure-admin.js';
export { API_ERRORS, ApiError } from './api-error.js';
export type { ApiErrorCode } from './api-error.js';
export { toPolicyExemptions } from './exemption-json.js';
export { GroupMatcher } from './group-matcher.js';
export { SESSION_COOKIE, CSRF_HEADER } from './auth.js';
export type { PolicyEditor, PolicyProblem } from './web-context.js';
export type { LoginThrottleOptions } from './login-throttle.js';
export { createPolicyFileEditor, changedPinnedSettings, isEmptyDocument } from './policy-file-editor.js';
export type { PolicyFileEditorOptions } from './policy-file-editor.js';
export type { GatewaySource, GatewayStatus } from './routes/gateways.js';
