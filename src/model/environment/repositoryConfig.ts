/**
 * A repository's own plan settings, checked in at `.vscode/plan-worktrees.json`
 * (JSON with comments): the setup command, the pre-remove command, the files
 * to copy, whether submodules are checked out. It is data: parsed (never run
 * or required), each member checked, and anything else set aside with a
 * problem the log shows. The commands it names are programs the repository
 * names, so the UI reads it only in a trusted folder; the user's own settings
 * win where both say something.
 */
import * as fs from 'fs';
import { parse, ParseError, printParseErrorCode } from 'jsonc-parser';
import * as path from 'path';

/** Where the file is, from the main checkout's root. */
export const REPOSITORY_CONFIG_FILE = path.join('.vscode', 'plan-worktrees.json');

/** Larger than this is not a settings file: it is not read. */
const MAX_BYTES = 64 * 1024;

/** What the file may say; every member is optional. */
export interface RepositoryConfig {
  /** The setup command (the `postCreateCommand` setting). */
  setupCommand?: string;
  preRemoveCommand?: string;
  copyFiles?: string[];
  updateSubmodules?: boolean;
}

/** The file's settings, and what was wrong with it (each problem one line; the members it names are left out). */
export interface RepositoryConfigRead {
  config: RepositoryConfig;
  problems: string[];
}

const members: { [K in keyof RepositoryConfig]-?: (value: unknown) => value is RepositoryConfig[K] } = {
  setupCommand: isCommand,
  preRemoveCommand: isCommand,
  copyFiles: (v): v is string[] =>
    Array.isArray(v) && v.length <= 1000 && v.every((g) => typeof g === 'string' && g.length > 0 && g.length <= 1000),
  updateSubmodules: (v): v is boolean => typeof v === 'boolean',
};

const expected: Record<keyof RepositoryConfig, string> = {
  setupCommand: 'a command (one line of text)',
  preRemoveCommand: 'a command (one line of text)',
  copyFiles: 'a list of glob patterns',
  updateSubmodules: 'true or false',
};

function isCommand(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 10_000 && !/[\0\r\n]/.test(value);
}

/**
 * Reads `<mainPath>/.vscode/plan-worktrees.json`. No file is no settings and
 * no problem; a file that is a symbolic link, too large, not JSON, or not an
 * object gives no settings and says why.
 */
export function readRepositoryConfig(mainPath: string): RepositoryConfigRead {
  const file = path.join(mainPath, REPOSITORY_CONFIG_FILE);
  let text: string;
  try {
    const stat = fs.lstatSync(file);
    if (!stat.isFile()) return nothing(`${REPOSITORY_CONFIG_FILE} is not a regular file (a link or a folder)`);
    if (stat.size > MAX_BYTES) return nothing(`${REPOSITORY_CONFIG_FILE} is larger than ${MAX_BYTES} bytes`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { config: {}, problems: [] };
    return nothing(`${REPOSITORY_CONFIG_FILE} cannot be read: ${(e as Error).message}`);
  }
  return parseRepositoryConfig(text);
}

/** The settings of the file's text (see readRepositoryConfig). */
export function parseRepositoryConfig(text: string): RepositoryConfigRead {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0];
    return nothing(
      `${REPOSITORY_CONFIG_FILE} is not valid JSON: ${printParseErrorCode(first.error)} at offset ${first.offset}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return nothing(`${REPOSITORY_CONFIG_FILE} is not an object`);
  }
  const config: RepositoryConfig = {};
  const problems: string[] = [];
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    if (key === '$schema') continue;
    if (!Object.prototype.hasOwnProperty.call(members, key)) {
      problems.push(`${REPOSITORY_CONFIG_FILE}: "${key}" is not a setting it can hold; left out`);
      continue;
    }
    const name = key as keyof RepositoryConfig;
    if (members[name](member)) (config as Record<string, unknown>)[name] = member;
    else problems.push(`${REPOSITORY_CONFIG_FILE}: "${name}" is not ${expected[name]}; left out`);
  }
  return { config, problems };
}

function nothing(problem: string): RepositoryConfigRead {
  return { config: {}, problems: [problem] };
}

/** The settings a repository's file can give, by the names of the user's settings. */
export interface ConfigurableSettings {
  postCreateCommand: string;
  preRemoveCommand: string;
  copyFiles: string[];
  updateSubmodules: boolean;
}

/**
 * The settings in effect: the user's where they set one (`userSet` holds only
 * those, from any scope), else the repository file's — only when the folder is
 * trusted: an untrusted repository names no program and no file to copy — else
 * `defaults`.
 */
export function withRepositoryConfig(
  defaults: ConfigurableSettings,
  userSet: Partial<ConfigurableSettings>,
  file: RepositoryConfig,
  trusted: boolean,
): ConfigurableSettings {
  const fromFile: Partial<ConfigurableSettings> = trusted
    ? {
        ...(file.setupCommand !== undefined ? { postCreateCommand: file.setupCommand } : {}),
        ...(file.preRemoveCommand !== undefined ? { preRemoveCommand: file.preRemoveCommand } : {}),
        ...(file.copyFiles !== undefined ? { copyFiles: file.copyFiles } : {}),
        ...(file.updateSubmodules !== undefined ? { updateSubmodules: file.updateSubmodules } : {}),
      }
    : {};
  const given = Object.fromEntries(Object.entries(userSet).filter(([, v]) => v !== undefined));
  return { ...defaults, ...fromFile, ...given };
}
