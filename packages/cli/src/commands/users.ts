import type { CliConfig } from '../config.ts';
import { CliError, UsageError } from '../errors.ts';
import { details, print, printJson, table } from '../output.ts';
import { CLI_PRINCIPAL, loadServerModule, type AuthService, type Role, type User } from '../server-module.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function withAuth<T>(config: CliConfig, fn: (auth: AuthService) => Promise<T>): Promise<T> {
  const server = await loadServerModule();
  const serverConfig = server.loadServerConfig(process.env);
  const { withFleet } = await import('../context.ts');
  return withFleet(config, { role: 'user', serverTables: true }, ({ fleet }) =>
    fn(server.createAuthService({ fleet, config: serverConfig })),
  );
}

export interface CreateUserFlags {
  email: string;
  password?: string;
  passwordStdin?: boolean;
  name?: string;
  role?: string;
}

async function readPassword(flags: CreateUserFlags): Promise<string> {
  if (flags.password !== undefined && flags.passwordStdin)
    throw new UsageError('give either --password or --password-stdin, not both.');
  if (flags.password !== undefined) return flags.password;
  if (!flags.passwordStdin) throw new UsageError('give the password with --password <password> or --password-stdin.');
  if (process.stdin.isTTY) throw new UsageError('--password-stdin reads the password from stdin, but stdin is a terminal.');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (line === '') throw new UsageError('--password-stdin: stdin is empty.');
  return line;
}

export async function createUser(config: CliConfig, flags: CreateUserFlags, json: boolean): Promise<void> {
  const role = (flags.role ?? 'member').toLowerCase();
  if (role !== 'admin' && role !== 'member') throw new UsageError('--role must be "admin" or "member".');
  const password = await readPassword(flags);
  const user = await withAuth(config, (auth) =>
    auth.createUser(CLI_PRINCIPAL, {
      email: flags.email,
      password,
      role: role as Role,
      ...(flags.name !== undefined ? { name: flags.name } : {}),
    }),
  );
  if (json) printJson(user);
  else print(`Created ${user.role} ${user.email} (id ${user.id}).`);
}

export async function listUsers(config: CliConfig, json: boolean): Promise<void> {
  const users = await withAuth(config, (auth) => auth.listUsers(CLI_PRINCIPAL));
  if (json) return printJson(users);
  if (users.length === 0) return print('No users yet: `jobfleet start` creates the first administrator.');
  print(
    table(users, [
      { header: 'ID', value: (u) => u.id },
      { header: 'EMAIL', value: (u) => u.email },
      { header: 'NAME', value: (u) => u.name, max: 30 },
      { header: 'ROLE', value: (u) => u.role },
      { header: 'STATUS', value: (u) => (u.disabled ? 'disabled' : 'active') },
      { header: 'LAST LOGIN', value: (u) => u.lastLoginAt },
    ]),
  );
}

/** Disables (or enables) a user given by id or email. */
export async function setDisabled(config: CliConfig, who: string, disabled: boolean, json: boolean): Promise<void> {
  const target = who.trim();
  if (!target) throw new UsageError('give the id or email of a user.');
  const user = await withAuth(config, async (auth) => {
    const id = UUID.test(target) ? target : await findByEmail(auth, target);
    return auth.setUserDisabled(CLI_PRINCIPAL, id, disabled);
  });
  if (json) printJson(user);
  else print(details(userPairs(user, disabled ? 'Disabled' : 'Enabled')));
}

async function findByEmail(auth: AuthService, email: string): Promise<string> {
  if (!email.includes('@')) throw new CliError(`"${email}" is neither a user id (UUID) nor an email address.`);
  const wanted = email.toLowerCase();
  const user = (await auth.listUsers(CLI_PRINCIPAL)).find((u) => u.email.toLowerCase() === wanted);
  if (!user) throw new CliError(`No user with email "${email}".`);
  return user.id;
}

function userPairs(u: User, what: string): [string, unknown][] {
  return [
    [what, u.email],
    ['id', u.id],
    ['role', u.role],
    ['status', u.disabled ? 'disabled' : 'active'],
  ];
}
