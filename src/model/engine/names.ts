/**
 * Names a plan is made of: its id, title, slug, branch and worktree folder.
 * Each `validate*` function returns a message saying what is wrong, or
 * `undefined` when the value is fine, so the UI can validate an input box as
 * the user types; `ensureValid` is the throwing variant the model uses.
 */
import * as path from 'path';
import { ErrorCode, PlanError } from './errors';

export const MAX_ID_LENGTH = 64;
export const MAX_TITLE_LENGTH = 200;
export const MAX_SLUG_LENGTH = 50;
export const MAX_BRANCH_LENGTH = 200;
export const MAX_PATH_LENGTH = 1024;

/**
 * Characters that change the direction text is shown in (U+202E and its
 * kin): in a name they make it read differently from what it is.
 */
const directionControls = '\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069';
const directionControl = new RegExp(`[${directionControls}]`, 'u');

/** Returns `value` when `validate` accepts it; otherwise throws `InvalidName` with the validator's message. */
export function ensureValid(value: string, validate: (value: string) => string | undefined): string {
  const problem = validate(value);
  if (problem !== undefined) throw new PlanError(ErrorCode.InvalidName, { reason: 'name', problem });
  return value;
}

/** Letters that Unicode decomposition does not turn into ASCII. */
const transliterations: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ŋ: 'n',
  ħ: 'h',
};

/**
 * A short, lowercase ASCII name for a title: "Fix the Login — Ärger!" → `fix-the-login-arger`.
 * Accents are dropped, letters without an ASCII form are left out, and the
 * result is cut at a word boundary; it is never empty (`plan`).
 */
export function slugify(title: string, maxLength = MAX_SLUG_LENGTH): string {
  const ascii = title
    .toLowerCase()
    .replace(/[ßæœøłđðþıŋħ]/g, (c) => transliterations[c])
    .normalize('NFKD')
    .replace(/\p{M}/gu, '');
  const words = ascii.split(/[^a-z0-9]+/).filter((w) => w.length > 0);
  let slug = '';
  for (const word of words) {
    const next = slug ? `${slug}-${word}` : word;
    if (next.length > maxLength) {
      if (!slug) slug = word.slice(0, maxLength);
      break;
    }
    slug = next;
  }
  return slug || 'plan';
}

/** A slug as `slugify` makes it: lowercase ASCII words joined by `-`. */
export function validateSlug(slug: string): string | undefined {
  if (slug.length === 0) return 'The slug is empty.';
  if (slug.length > MAX_SLUG_LENGTH) {
    return `The slug is ${slug.length} characters long; at most ${MAX_SLUG_LENGTH} are allowed.`;
  }
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug)) {
    return `The slug "${printable(slug)}" must be lowercase letters and digits in words joined by "-".`;
  }
  return undefined;
}

/**
 * Says what happens to a title that looks like a path or an option, or has
 * no letter or digit: its slug keeps only its words (`../x` → `x`, `--foo` →
 * `foo`, `...` → `plan`). Undefined for an ordinary title.
 */
export function explainTitle(title: string): string | undefined {
  const slug = slugify(title);
  if (!/[\p{L}\p{N}]/u.test(title)) {
    return `"${shownName(title)}" has no letters or digits, so the branch and folder are named "${slug}".`;
  }
  // Starts like an option or a path (`-x`, `.x`, `/x`, `~/x`, `\\x`), or has a `..` segment.
  if (/^[-.~/\\]/.test(title) || /(^|[\\/])\.\.([\\/]|$)/.test(title)) {
    return `"${shownName(title)}" is taken as a title, not as a path or an option: the branch and folder are named after its words only ("${slug}").`;
  }
  return undefined;
}

/** Ids are numbers or short slugs: letters, digits, `-`, `_` and `.` (not first), no `..`. */
export function validateId(id: string): string | undefined {
  if (id.length === 0) return 'The plan id is empty.';
  if (id.length > MAX_ID_LENGTH) {
    return `The plan id is ${id.length} characters long; at most ${MAX_ID_LENGTH} are allowed.`;
  }
  if (/^[-.]/.test(id)) return `The plan id "${printable(id)}" must not start with "${id[0]}".`;
  const bad = /[^A-Za-z0-9._-]/.exec(id);
  if (bad) {
    return `The plan id must use only letters, digits, "-", "_" and "."; ${describeChar(bad[0])} is not allowed.`;
  }
  if (id.includes('..')) return `The plan id "${id}" must not contain "..".`;
  if (/\.(lock)?$/i.test(id)) return `The plan id "${id}" must not end with "${id.endsWith('.') ? '.' : '.lock'}".`;
  return undefined;
}

/** Titles are any printable text, unicode included, on one line. */
export function validateTitle(title: string): string | undefined {
  if (title.trim().length === 0) return 'The plan title is empty.';
  if (title.length > MAX_TITLE_LENGTH) {
    return `The plan title is ${title.length} characters long; at most ${MAX_TITLE_LENGTH} are allowed.`;
  }
  const bad = /[\p{Cc}\u2028\u2029]/u.exec(title) ?? directionControl.exec(title);
  if (bad) return `The plan title must be one line of printable text; it contains ${describeChar(bad[0])}.`;
  return undefined;
}

/**
 * Git's rules for a branch name (`git check-ref-format --branch`), in
 * JavaScript so the UI can check as the user types, plus a length limit.
 */
export function validateBranchName(name: string): string | undefined {
  if (name.length === 0) return 'The branch name is empty.';
  if (name.length > MAX_BRANCH_LENGTH) {
    return `The branch name is ${name.length} characters long; at most ${MAX_BRANCH_LENGTH} are allowed.`;
  }
  if (name.startsWith('-')) return `The branch name "${printable(name)}" must not start with "-".`;
  if (name === 'HEAD' || name === '@') return `"${name}" is not a valid branch name.`;
  // Git would take it as the branch refs/heads/refs/..., while a full ref name means the ref itself to the rest of the engine.
  if (name.startsWith('refs/')) {
    return `The branch name "${printable(name)}" must be a short name, without "refs/" (for example "main").`;
  }
  const bad = /[\p{Cc} ~^:?*[\\]/u.exec(name) ?? directionControl.exec(name);
  if (bad) return `The branch name "${printable(name)}" must not contain ${describeChar(bad[0])}.`;
  if (name.includes('..')) return `The branch name "${name}" must not contain "..".`;
  if (name.includes('@{')) return `The branch name "${name}" must not contain "@{".`;
  if (name.startsWith('/') || name.endsWith('/')) return `The branch name "${name}" must not start or end with "/".`;
  if (name.includes('//')) return `The branch name "${name}" must not contain "//".`;
  if (name.endsWith('.')) return `The branch name "${name}" must not end with ".".`;
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `No part of the branch name "${name}" may start with "." ("${part}").`;
    if (part.endsWith('.lock')) return `No part of the branch name "${name}" may end with ".lock" ("${part}").`;
  }
  return undefined;
}

/** A worktree folder: absolute, one line of printable text, no `..` segments. */
export function validateWorktreePath(folder: string): string | undefined {
  if (folder.length === 0) return 'The worktree folder is empty.';
  if (folder.length > MAX_PATH_LENGTH) {
    return `The worktree folder is ${folder.length} characters long; at most ${MAX_PATH_LENGTH} are allowed.`;
  }
  const bad = /[\p{Cc}]/u.exec(folder) ?? directionControl.exec(folder);
  if (bad) return `The worktree folder must not contain ${describeChar(bad[0])}.`;
  if (!path.isAbsolute(folder)) return `The worktree folder "${folder}" must be an absolute path.`;
  if (folder.split(/[\\/]/).includes('..')) return `The worktree folder "${folder}" must not contain "..".`;
  return undefined;
}

/** A plan file, relative to the main worktree. */
export function validatePlanFile(file: string): string | undefined {
  if (file.length === 0) return 'The plan file is empty.';
  if (file.length > MAX_PATH_LENGTH) {
    return `The plan file name is ${file.length} characters long; at most ${MAX_PATH_LENGTH} are allowed.`;
  }
  if (/[\p{Cc}]/u.test(file) || directionControl.test(file)) {
    return 'The plan file name must not contain control characters.';
  }
  if (path.isAbsolute(file) || file.split(/[\\/]/).includes('..')) {
    return `The plan file "${file}" must be a path inside the repository, without "..".`;
  }
  // Files under .git are git's data, never a plan's.
  if (file.split(/[\\/]/).some((part) => part.toLowerCase() === '.git')) {
    return `The plan file "${file}" must not be inside a ".git" folder.`;
  }
  return undefined;
}

/** The variables the branch and folder templates know. */
export interface TemplateVariables {
  id: string;
  slug: string;
  /** Which run of the plan id (1 for the first): `${run}` is it zero-padded to three digits (`001`), `${runNumber}` as it is (`1`). */
  run: number;
  repoName: string;
  repoParent: string;
  /** The user's home folder (the location template's `${home}`, and its leading `~`). */
  home: string;
}

/** The names a template may use: `${runNumber}` is the run without padding. */
const knownVariables = ['id', 'slug', 'run', 'runNumber', 'repoName', 'repoParent', 'home'] as const;

const templateVariable = /\$\{([^}]*)\}/g;

/** The variables a template uses that do not exist: a message, or undefined when all are known. */
export function validateTemplate(template: string): string | undefined {
  const unknown = [...template.matchAll(templateVariable)]
    .map((m) => m[1])
    .filter((name) => !(knownVariables as readonly string[]).includes(name));
  if (unknown.length === 0) return undefined;
  return `The template "${template}" uses ${unknown.map((u) => `\${${u}}`).join(', ')}, which ${unknown.length === 1 ? 'does' : 'do'} not exist; known variables: ${knownVariables.map((k) => `\${${k}}`).join(', ')}.`;
}

/** A run as `${run}` writes it: zero-padded to three digits (`001`, `012`, `1000`). */
export function paddedRun(run: number): string {
  return String(run).padStart(3, '0');
}

/**
 * Fills `${id}`, `${slug}`, `${run}` (`001`), `${runNumber}` (`1`),
 * `${repoName}`, `${repoParent}` and `${home}`; an unknown variable throws
 * `InvalidName`.
 */
export function expandTemplate(template: string, vars: TemplateVariables): string {
  ensureValid(template, validateTemplate);
  return template.replace(templateVariable, (_, name: (typeof knownVariables)[number]) =>
    name === 'run' ? paddedRun(vars.run) : name === 'runNumber' ? String(vars.run) : String(vars[name]),
  );
}

/** Whether a template names the run (`${run}` or `${runNumber}`), so that every run gets a name of its own from it. */
export function namesRun(template: string): boolean {
  return /\$\{run(Number)?\}/.test(template);
}

/**
 * A branch or folder template filled for one run of a plan. The first run
 * gets the template's name as it is; a later run of a template that does not
 * name the run gets `-run-NNN` after it (`plan/7-fix` → `plan/7-fix-run-002`,
 * `…/7-fix` → `…/7-fix-run-002`), so that no two runs of one plan share a
 * branch or a folder.
 */
export function expandRunTemplate(template: string, vars: TemplateVariables): string {
  const expanded = expandTemplate(template, vars);
  if (vars.run <= 1 || namesRun(template)) return expanded;
  return `${expanded.replace(/[\\/]+$/, '')}-run-${paddedRun(vars.run)}`;
}

function describeChar(c: string): string {
  if (c === ' ') return 'a space';
  if (c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029') return 'a line break';
  if (c === '\t') return 'a tab';
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) {
    return `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  }
  if (directionControl.test(c)) {
    return `a text direction control (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  }
  return `"${c}"`;
}

/** A name as a message shows it: control and text direction characters as `?`, at most `max` characters. */
export function shownName(text: string, max = 80): string {
  const clean = printable(text);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, '?').replace(new RegExp(directionControl.source, 'gu'), '?');
}

/** Whether two absolute folders are the same (case-insensitively where the file system usually is). */
export function samePath(a: string, b: string): boolean {
  return pathKey(a) === pathKey(b);
}

/** A folder's comparison key: equal keys exactly when `samePath` says so (to join long lists through a Map). */
export function pathKey(p: string): string {
  const resolved = path.resolve(p).replace(/[\\/]+$/, '');
  return process.platform === 'win32' || process.platform === 'darwin' ? resolved.toLowerCase() : resolved;
}
