import type { EnforcerStatus } from '../enforce/index.js';
import type { Policy } from '../policy/index.js';
import type { Store } from '../store/index.js';
import type { Authenticator } from './auth.js';
import type { LoginThrottle } from './login-throttle.js';

/** One problem found in a policy text, located in it. */
export interface PolicyProblem {
  /** The file the line is in: the config file. */
  file?: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
}

/** Reads and replaces the policy file; the serve command implements it (validate, write atomically, reload). */
export interface PolicyEditor {
  read(): { text: string; file: string };
  write(text: string, user: string): Promise<{ ok: true } | { ok: false; errors: PolicyProblem[] }>;
}

/** What every route plugin gets. */
export interface WebContext {
  store: Store;
  getPolicy: () => Policy;
  now: () => number;
  onExemptionsChanged: () => void;
  policyEditor: PolicyEditor | undefined;
  auth: Authenticator;
  throttle: LoginThrottle;
  secureCookies: boolean;
  sessionHours: number;
  /** Longest exemption an operator may create, in days. */
  maxExemptionDays: number;
  /** Firewall enforcement's status, null when it is not configured. */
  enforcement: () => EnforcerStatus | null;
}
