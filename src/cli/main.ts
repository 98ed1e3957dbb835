/**
 * The `rambu` command line: the only place that parses arguments, prints and decides exit codes.
 * Exit codes: 0 success, 1 invalid input or config, 2 runtime failure.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RambuError } from '../errors.js';
import { runCheck } from './check-command.js';
import { type CliIo, EXIT, write } from './cli-io.js';
import { runExplain } from './explain-command.js';

const USAGE = `rambu: work-hours internet policy gateway

Usage:
  rambu serve [--config FILE]          run DNS gateway and web console (default: the built-in policy,
                                       written to ./data/rambu.yaml on first run)
  rambu check --config FILE [--json]   validate a policy file and summarise it
  rambu explain --config FILE --client IP [--at ISO-8601] NAME [--json]
                                       what the gateway would do, and why
  rambu log --config FILE [--client IP] [--name TEXT] [--action block|allow|...] [--since ISO-8601]
            [--gateway NAME] [--limit N] [--json]
                                       read the query log (every gateway's on the shared store)
  rambu report traffic --config FILE --by service|group|client [--from ISO-8601] [--to ISO-8601]
            [--json|--csv]         bytes, packets and flows from the flow collector, most bytes first
  rambu report probes --config FILE [--from ISO-8601] [--to ISO-8601] [--json|--csv]
                                       availability and latency (p50, p95) of the probed services
  rambu store migrate --from sqlite --to postgres --config FILE [--force]
                                       copy this gateway's SQLite users, exemptions, audit and query log
                                       into the shared store the config names
  rambu user add NAME --role admin|operator|viewer --password-stdin --config FILE
  rambu user passwd NAME --password-stdin --config FILE
  rambu user list --config FILE
  rambu enforce routeros-script --config FILE [--dns-address IP]... [--rambu-address IP] [--username NAME]
                                       the one-time RouterOS script for the blocked services
  rambu user remove NAME --config FILE
  rambu --version | --help

Exit codes: 0 success, 1 invalid input or configuration, 2 runtime failure.
Documentation: docs/cli.md`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

type Values = Record<string, string | boolean | undefined>;

function parse(argv: string[], options: ParseArgsConfig['options']): { values: Values; positionals: string[] } {
  const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  return { values: values as Values, positionals };
}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Run the command line; resolves to the exit code. */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, now: Date.now }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        write(io.stdout, USAGE);
        return command === undefined ? EXIT.INVALID : EXIT.OK;
      case '--version':
      case 'version':
        write(io.stdout, `rambu ${version()}`);
        return EXIT.OK;
      case 'check': {
        const { values } = parse(rest, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } });
        if (values['help'] === true) { write(io.stdout, USAGE); return EXIT.OK; }
        const config = str(values['config']);
        if (config === undefined) return usageError(io, 'check needs --config FILE');
        return await runCheck({ config, json: values['json'] === true }, io);
      }
      case 'explain': {
        const { values, positionals } = parse(rest, { config: { type: 'string', short: 'c' }, client: { type: 'string' }, at: { type: 'string' }, json: { type: 'boolean' } });
        if (values['help'] === true) { write(io.stdout, USAGE); return EXIT.OK; }
        const config = str(values['config']);
        const client = str(values['client']);
        if (config === undefined || client === undefined || positionals.length !== 1) return usageError(io, 'explain needs --config FILE --client IP and one NAME');
        return await runExplain({ config, client, name: positionals[0]!, at: str(values['at']) ?? null, json: values['json'] === true }, io);
      }
      case 'serve': {
        const { values } = parse(rest, { config: { type: 'string', short: 'c' } });
        if (values['help'] === true) { write(io.stdout, USAGE); return EXIT.OK; }
        const { runServe } = await import('./serve-command.js');
        return await runServe({ config: str(values['config']) ?? null }, io);
      }
      case 'log': {
        const { values } = parse(rest, {
          config: { type: 'string', short: 'c' }, client: { type: 'string' }, name: { type: 'string' }, action: { type: 'string' },
          since: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, gateway: { type: 'string' },
        });
        if (values['help'] === true) { write(io.stdout, USAGE); return EXIT.OK; }
        const { runLog } = await import('./log-entry.js');
        return await runLog(values, io);
      }
      case 'report': {
        const [kind, ...args] = rest;
        const { values } = parse(args, {
          config: { type: 'string', short: 'c' }, by: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
          json: { type: 'boolean' }, csv: { type: 'boolean' },
        });
        if (values['help'] === true) { write(io.stdout, USAGE); return EXIT.OK; }
        const { runReport } = await import('./report-command.js');
        return await runReport(kind, values, io);
      }
      case 'user': {
        const [sub, ...args] = rest;
        const { values, positionals } = parse(args, { config: { type: 'string', short: 'c' }, role: { type: 'string' }, 'password-stdin': { type: 'boolean' } });
        if (values['help'] === true) { write(io.stdout, USAGE); return EXIT.OK; }
        const { runUser } = await import('./user-entry.js');
        return await runUser(sub, positionals, values, io);
      }
      case 'enforce': {
        const [sub, ...args] = rest;
        const { values } = parseArgs({
          args, allowPositionals: false, strict: true,
          options: { config: { type: 'string', short: 'c' }, 'dns-address': { type: 'string', multiple: true }, 'rambu-address': { type: 'string' }, username: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        });
        if (values.help === true) { write(io.stdout, USAGE); return EXIT.OK; }
        if (sub !== 'routeros-script') return usageError(io, `enforce needs a subcommand: routeros-script${sub === undefined ? '' : ` (not "${sub}")`}`);
        if (values.config === undefined) return usageError(io, 'enforce routeros-script needs --config FILE');
        const { runRouterOsScript } = await import('./enforce-command.js');
        return runRouterOsScript({ config: values.config, dnsAddresses: values['dns-address'] ?? [], rambuAddress: values['rambu-address'] ?? null, username: values.username ?? null }, io);
      }
      case 'store': {
        const [sub, ...args] = rest;
        const { values } = parse(args, { config: { type: 'string', short: 'c' }, from: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' } });
        if (values['help'] === true) { write(io.stdout, USAGE); return EXIT.OK; }
        const { runStore } = await import('./store-command.js');
        return await runStore(sub, values, io);
      }
      default:
        return usageError(io, `unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) return usageError(io, err.message);
    if (err instanceof RambuError) {
      write(io.stderr, `rambu: ${err.message}`);
      return err.code === 'RAMBU_CONFIG_INVALID' || err.code === 'RAMBU_INVALID_ARGUMENT' ? EXIT.INVALID : EXIT.FAILURE;
    }
    throw err;
  }
}

function usageError(io: CliIo, message: string): number {
  write(io.stderr, `rambu: ${message}\nRun "rambu --help" for usage.`);
  return EXIT.INVALID;
}
