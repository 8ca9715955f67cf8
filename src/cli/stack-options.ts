import { InvalidArgumentError, Option, type Command } from 'commander';
import { ROLES, type Role } from '../connectors/definition.ts';
import { connectorsFor, DEFAULT_STACK } from '../connectors/registry.ts';

/** The systems chosen per role on the command line, and running emulators to use instead. */
export interface StackChoice {
  stack: Record<Role, string>;
  urls: Partial<Record<Role, string>>;
}

/**
 * Adds `--crm <system>`, `--billing <system>`, `--erp <system>` (choices from the registry,
 * defaults its default stack) and, with `urls`, `--crm-url <url>` … for running emulators.
 */
export function addStackOptions(command: Command, options: { urls: boolean }): Command {
  for (const role of ROLES) {
    const systems = connectorsFor(role).map((c) => c.system);
    command.addOption(
      new Option(`--${role} <system>`, `the ${role} system`)
        .choices(systems)
        .default(DEFAULT_STACK[role]),
    );
    if (options.urls)
      command.addOption(
        new Option(
          `--${role}-url <url>`,
          `use the ${role} emulator already running at this URL instead of starting one`,
        ).argParser(httpUrl),
      );
  }
  return command;
}

/** The stack and URLs from a command's parsed options. */
export function stackChoice(options: Record<string, unknown>): StackChoice {
  const stack = {} as Record<Role, string>;
  const urls: Partial<Record<Role, string>> = {};
  for (const role of ROLES) {
    stack[role] = String(options[role] ?? DEFAULT_STACK[role]);
    const url = options[`${role}Url`];
    if (typeof url === 'string') urls[role] = url;
  }
  return { stack, urls };
}

function httpUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // fall through
  }
  throw new InvalidArgumentError('must be an http(s) URL');
}
