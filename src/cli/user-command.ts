/** `rambu user add|list|remove|passwd`: manage console users in the data directory's database, or the shared store's. */
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, ROLES, StoreError, USERNAME_PATTERN, openGatewayStore } from '../store/index.js';
import type { Role, Store, StorageChoice } from '../store/index.js';
import { formatTable } from './log-command.js';

/** The same rules as the console's user API. */
const USERNAME = new RegExp(USERNAME_PATTERN);
/** Who the audit log names for changes made from the command line. */
const CLI_USER = 'cli';

/** Where the users are: the data directory's database, or the shared store that `storage` names. */
interface StoreArgs { dataDir: string; storage?: StorageChoice }

async function withStore<T>(args: StoreArgs, fn: (store: Store) => Promise<T>): Promise<T> {
  const storage: StorageChoice = args.storage ?? { backend: 'sqlite', path: args.dataDir, retentionDays: 30, url: null, passwordFile: null, gatewayName: 'cli' };
  const store = await openGatewayStore(storage, { pruneIntervalMs: 0, live: false });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function checkPassword(password: string, err: NodeJS.WritableStream, cmd: string): boolean {
  // Counted in characters (code points), as the console's API counts them: one emoji is one.
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    err.write(`rambu user ${cmd}: the password is too short: at least ${MIN_PASSWORD_LENGTH} characters\n`);
    return false;
  }
  if (length > MAX_PASSWORD_LENGTH) {
    err.write(`rambu user ${cmd}: the password is too long: at most ${MAX_PASSWORD_LENGTH} characters\n`);
    return false;
  }
  return true;
}

/** Add a user. Returns 0, or 1 for an invalid name, role or password, or a name in use. */
export async function runUserAdd(args: StoreArgs & { username: string; role: string; password: string }, out: NodeJS.WritableStream, err: NodeJS.WritableStream = out): Promise<number> {
  if (!USERNAME.test(args.username)) {
    err.write(`rambu user add: invalid username "${args.username}": use 1-64 of a-z 0-9 . _ -, starting with a letter or a digit\n`);
    return 1;
  }
  if (!(ROLES as readonly string[]).includes(args.role)) {
    err.write(`rambu user add: invalid role "${args.role}": expected one of ${ROLES.join(', ')}\n`);
    return 1;
  }
  if (!checkPassword(args.password, err, 'add')) return 1;
  return withStore(args, async (store) => {
    try {
      const user = await store.users.create({ username: args.username, role: args.role as Role, password: args.password });
      await store.audit.record({ time: Date.now(), user: CLI_USER, action: 'user.create', target: `user:${user.username}`, before: null, after: { username: user.username, role: user.role, disabled: false } });
      out.write(`added ${user.username} (${user.role})\n`);
      return 0;
    } catch (e) {
      if (e instanceof StoreError && e.code === 'USER_EXISTS') {
        err.write(`rambu user add: user "${args.username}" exists\n`);
        return 1;
      }
      throw e;
    }
  });
}

/** List users as a table, or one JSON object per line. */
export async function runUserList(args: StoreArgs & { json?: boolean }, out: NodeJS.WritableStream): Promise<number> {
  const users = await withStore(args, (store) => store.users.list());
  if (args.json === true) {
    for (const u of users) out.write(`${JSON.stringify({ ...u, createdAt: new Date(u.createdAt).toISOString(), updatedAt: new Date(u.updatedAt).toISOString() })}\n`);
    return 0;
  }
  if (users.length === 0) {
    out.write('no users\n');
    return 0;
  }
  out.write(formatTable(['USERNAME', 'ROLE', 'STATUS', 'CREATED'],
    users.map((u) => [u.username, u.role, u.disabled ? 'disabled' : 'enabled', new Date(u.createdAt).toISOString()])));
  return 0;
}

/** Remove a user and their sessions; refuses the last enabled admin. */
export async function runUserRemove(args: StoreArgs & { username: string }, out: NodeJS.WritableStream, err: NodeJS.WritableStream = out): Promise<number> {
  return withStore(args, async (store) => {
    const user = await store.users.get(args.username);
    if (user === null) {
      err.write(`rambu user remove: no user "${args.username}"\n`);
      return 1;
    }
    if (user.role === 'admin' && !user.disabled && (await store.users.countAdmins()) <= 1) {
      err.write(`rambu user remove: "${args.username}" is the last enabled admin\n`);
      return 1;
    }
    await store.sessions.deleteForUser(user.username);
    await store.users.delete(user.username);
    await store.audit.record({ time: Date.now(), user: CLI_USER, action: 'user.delete', target: `user:${user.username}`, before: { username: user.username, role: user.role, disabled: user.disabled }, after: null });
    out.write(`removed ${user.username}\n`);
    return 0;
  });
}

/** Set a user's password (for a forgotten admin password) and end their sessions. */
export async function runUserPasswd(args: StoreArgs & { username: string; password: string }, out: NodeJS.WritableStream, err: NodeJS.WritableStream = out): Promise<number> {
  if (!checkPassword(args.password, err, 'passwd')) return 1;
  return withStore(args, async (store) => {
    const user = await store.users.update(args.username, { password: args.password });
    if (user === null) {
      err.write(`rambu user passwd: no user "${args.username}"\n`);
      return 1;
    }
    await store.sessions.deleteForUser(user.username);
    await store.audit.record({ time: Date.now(), user: CLI_USER, action: 'user.update', target: `user:${user.username}`, before: { username: user.username }, after: { username: user.username, passwordChanged: true } });
    out.write(`password changed for ${user.username}\n`);
    return 0;
  });
}
