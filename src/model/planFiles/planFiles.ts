/**
 * Plan files: the Markdown plans, work orders and task JSON a plan often
 * starts from. Finds them under the `planFiles` globs, reads their `id`,
 * `title` and `status` (Markdown front matter, a JSON object's members, or
 * the first heading), validates them like typed names, and rewrites the
 * `status` field — that field only, every other byte of the file as it was.
 */
import { randomBytes } from 'crypto';
import { constants, promises as fs } from 'fs';
import * as path from 'path';
import { isInside } from '../engine/paths';
import { ErrorCode, PlanWorktreesError } from '../../git/errors';
import { globToRegExp } from '../lifecycle/copyFiles';
import { ensureValid, validateId, validatePlanFile, validateTitle } from '../engine/names';
import { LifecycleEvent } from '../engine/types';

/** The default of the `planFiles` setting (package.json declares the same). */
export const DEFAULT_PLAN_FILE_PATTERNS: readonly string[] = [
  'plans/**/*.{md,json}',
  '.plans/**/*.{md,json}',
  '.tasks/**/*.{md,json}',
  'tasks/**/*.{md,json}',
  'work-orders/**/*.{md,json}',
];

/** A plan file larger than this is not read (nobody writes a 1 MiB plan; a hostile repository might). */
export const MAX_PLAN_FILE_BYTES = 1024 * 1024;

/** How many folder entries a search looks at, at most, before it stops. */
export const MAX_SEARCHED_ENTRIES = 20_000;

/** Statuses after which a plan file is finished: it is no longer offered to start. */
const FINISHED_STATUSES = new Set([
  'done',
  'completed',
  'complete',
  'closed',
  'cancelled',
  'canceled',
  'merged',
  'wontfix',
]);

/** The statuses the status binding writes. */
export type BoundStatus = 'in_progress' | 'done';

export type PlanFileFormat = 'markdown' | 'json';

/** What a plan file says. */
export interface PlanFile {
  /** Relative to the folder it was found in (the main worktree), `/`-separated: what `PlanRecord.planFile` records. */
  file: string;
  format: PlanFileFormat;
  /** From the file; undefined when the file has none (the plan then gets the next free number). */
  id?: string;
  title?: string;
  status?: string;
  /** Why the file cannot be started (a bad id or title, broken JSON, no title); undefined when it can. */
  problem?: string;
}

/** The format of a plan file by its extension; undefined for any other file. */
export function planFileFormat(file: string): PlanFileFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.md' || ext === '.markdown') return 'markdown';
  if (ext === '.json') return 'json';
  return undefined;
}

/** Whether a finished status (`done`, `closed`, `cancelled`...) is written in the file. */
export function isFinishedStatus(status: string | undefined): boolean {
  return (
    status !== undefined &&
    FINISHED_STATUSES.has(
      status
        .trim()
        .toLowerCase()
        .replace(/[\s-]+/g, '_'),
    )
  );
}

/** Whether `file` (relative, `/`-separated) matches one of the glob patterns. */
export function matchesPlanFilePatterns(file: string, patterns: readonly string[]): boolean {
  const normalized = file.split(path.sep).join('/');
  return usablePatterns(patterns).some((p) => globToRegExp(p).test(normalized));
}

// ---------------------------------------------------------------- parse

/**
 * Reads a plan file's text. Never throws: what is wrong with the file is its
 * `problem`. `file` is the path relative to the main worktree.
 */
export function parsePlanFile(file: string, text: string): PlanFile {
  const format = planFileFormat(file) ?? 'markdown';
  const fields = format === 'json' ? jsonFields(text) : markdownFields(text);
  const result: PlanFile = { file, format };
  if (typeof fields === 'string') return { ...result, problem: `${file}: ${fields}` };
  const { id, title, status } = fields;
  if (status !== undefined) result.status = status;
  if (id !== undefined) result.id = id;
  if (title !== undefined) result.title = title.trim();
  const problem =
    fields.problem ??
    (id !== undefined ? validateId(id) : undefined) ??
    (title === undefined
      ? format === 'json'
        ? 'it has no "title".'
        : 'it has no title (a "title" in the front matter, or a heading).'
      : validateTitle(title.trim()));
  if (problem) result.problem = `${file}: ${problem}`;
  return result;
}

interface Fields {
  id?: string;
  title?: string;
  status?: string;
  problem?: string;
}

function markdownFields(text: string): Fields | string {
  const front = findFrontMatter(text);
  const fields: Fields = {};
  if (front) {
    for (const key of ['id', 'title', 'status'] as const) {
      const entries = front.entries.filter((e) => e.key === key);
      if (entries.length > 1) fields.problem ??= `"${key}" appears ${entries.length} times in the front matter.`;
      const entry = entries[0];
      if (!entry) continue;
      const value = scalarValue(entry.raw);
      if (typeof value === 'object') {
        fields.problem ??= `"${key}" in the front matter must be one line of text (${value.problem}).`;
      } else if (value !== '') fields[key] = value;
    }
  }
  if (fields.title === undefined) {
    const heading = firstHeading(text.slice(front ? front.bodyStart : 0));
    if (heading !== undefined) fields.title = heading;
  }
  return fields;
}

function jsonFields(text: string): Fields | string {
  let value: unknown;
  try {
    value = JSON.parse(stripBom(text));
  } catch (e) {
    return `it is not valid JSON (${(e as Error).message}).`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'it is not a JSON object with "id" and "title".';
  }
  const object = value as Record<string, unknown>;
  const fields: Fields = {};
  for (const key of ['id', 'title', 'status'] as const) {
    const member = object[key];
    if (member === undefined || member === null) continue;
    if (typeof member === 'string') fields[key] = member;
    else if (typeof member === 'number' && key !== 'title' && Number.isFinite(member)) fields[key] = String(member);
    else fields.problem ??= `"${key}" must be ${key === 'title' ? 'a string' : 'a string or a number'}.`;
  }
  return fields;
}

/** The text of the first ATX heading (`# Title`, any level) outside code fences. */
function firstHeading(body: string): string | undefined {
  let fence: string | undefined;
  for (const line of body.split(/\r\n|\n|\r/)) {
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch) {
      if (!fence) fence = fenceMatch[1][0];
      else if (fenceMatch[1][0] === fence) fence = undefined;
      continue;
    }
    if (fence) continue;
    const heading = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (heading && heading[1].trim() !== '') return heading[1].trim();
  }
  return undefined;
}

// ---------------------------------------------------------------- front matter

interface FrontMatterEntry {
  key: string;
  /** The value as written (quotes included, comment and surrounding blanks excluded). */
  raw: string;
  /** Offsets in the text of the value as written; equal when the value is empty. */
  valueStart: number;
  valueEnd: number;
}

interface FrontMatter {
  entries: FrontMatterEntry[];
  /** Where the closing fence line starts. */
  closeStart: number;
  /** Where the text after the closing fence starts. */
  bodyStart: number;
  /** The line ending the opening fence uses. */
  eol: string;
}

/** YAML front matter: `---` on the first line, up to a line `---` or `...`. Top-level `key: value` lines only. */
function findFrontMatter(text: string): FrontMatter | undefined {
  const start = text.startsWith('\uFEFF') ? 1 : 0;
  const open = /^---[ \t]*(\r\n|\n|\r)/.exec(text.slice(start));
  if (!open) return undefined;
  const entries: FrontMatterEntry[] = [];
  let offset = start + open[0].length;
  while (offset <= text.length) {
    const lineEnd = nextLineEnd(text, offset);
    const line = text.slice(offset, lineEnd.end);
    if (/^(---|\.\.\.)[ \t]*$/.test(line)) {
      return { entries, closeStart: offset, bodyStart: lineEnd.next, eol: open[1] };
    }
    const entry = /^([A-Za-z_][\w-]*)[ \t]*:(?=[ \t]|$)/.exec(line);
    if (entry) {
      const afterColon = offset + entry[0].length;
      const rest = text.slice(afterColon, lineEnd.end);
      const lead = /^[ \t]*/.exec(rest)?.[0].length ?? 0;
      const raw = valueAsWritten(rest.slice(lead));
      entries.push({ key: entry[1], raw, valueStart: afterColon + lead, valueEnd: afterColon + lead + raw.length });
    }
    if (lineEnd.next === lineEnd.end) break;
    offset = lineEnd.next;
  }
  return undefined;
}

function nextLineEnd(text: string, from: number): { end: number; next: number } {
  const match = /\r\n|\n|\r/g;
  match.lastIndex = from;
  const found = match.exec(text);
  return found ? { end: found.index, next: found.index + found[0].length } : { end: text.length, next: text.length };
}

/** The value part of `key: value  # comment`: a quoted scalar up to its closing quote, else up to a comment. */
function valueAsWritten(rest: string): string {
  if (rest.startsWith('"')) {
    for (let i = 1; i < rest.length; i++) {
      if (rest[i] === '\\') i++;
      else if (rest[i] === '"') return rest.slice(0, i + 1);
    }
    return rest.trimEnd();
  }
  if (rest.startsWith("'")) {
    for (let i = 1; i < rest.length; i++) {
      if (rest[i] === "'" && rest[i + 1] === "'") i++;
      else if (rest[i] === "'") return rest.slice(0, i + 1);
    }
    return rest.trimEnd();
  }
  const comment = /(^|[ \t])#/.exec(rest);
  return (comment ? rest.slice(0, comment.index) : rest).trimEnd();
}

const yamlEscapes: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};

/** A one-line YAML scalar's value; `{ problem }` for what this reader does not take (block scalars, lists, anchors...). */
function scalarValue(raw: string): string | { problem: string } {
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"')) return { problem: 'an unclosed double quote' };
    let out = '';
    for (let i = 1; i < raw.length - 1; i++) {
      const c = raw[i];
      if (c !== '\\') {
        out += c;
        continue;
      }
      const next = raw[++i];
      const hex = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
      if (hex) {
        const digits = raw.slice(i + 1, i + 1 + hex);
        if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== hex) {
          return { problem: `a bad escape "\\${next}${digits}"` };
        }
        const code = parseInt(digits, 16);
        if (code > 0x10ffff) return { problem: `a bad escape "\\${next}${digits}"` };
        out += String.fromCodePoint(code);
        i += hex;
      } else if (next !== undefined && next in yamlEscapes) out += yamlEscapes[next];
      else return { problem: `an unknown escape "\\${next ?? ''}"` };
    }
    return out;
  }
  if (raw.startsWith("'")) {
    if (raw.length < 2 || !raw.endsWith("'")) return { problem: 'an unclosed single quote' };
    return raw.slice(1, -1).replace(/''/g, "'");
  }
  if (/^[|>[{&*!%@`]/.test(raw)) return { problem: `a value starting with "${raw[0]}"` };
  return raw;
}

function stripBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

// ---------------------------------------------------------------- find and read

/**
 * The plan files under `root` that match the patterns, relative and
 * `/`-separated, sorted. Only the folders the patterns name are searched
 * (`plans/**` searches `plans/`); ignored files count (a `.plans/` folder is
 * often git-ignored), symlinks, `.git` and `node_modules` never do. A pattern
 * that is absolute or contains `..` is left out.
 */
export async function findPlanFiles(
  root: string,
  patterns: readonly string[],
  maxEntries = MAX_SEARCHED_ENTRIES,
): Promise<string[]> {
  const usable = usablePatterns(patterns);
  if (usable.length === 0) return [];
  const matchers = usable.map(globToRegExp);
  const bases = [...new Set(usable.map(literalBase))].sort();
  // A base inside another base is searched with it.
  const roots = bases.filter((b) => !bases.some((other) => other !== b && (other === '' || b.startsWith(`${other}/`))));
  const found = new Set<string>();
  let budget = maxEntries;
  const walk = async (relDir: string): Promise<void> => {
    let entries: import('fs').Dirent[];
    try {
      entries = await fs.readdir(path.join(root, relDir), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (--budget < 0) return;
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name === '.git' || entry.name === 'node_modules') continue;
        await walk(rel);
      } else if (
        entry.isFile() &&
        planFileFormat(entry.name) &&
        !/^readme\./i.test(entry.name) &&
        matchers.some((m) => m.test(rel))
      ) {
        found.add(rel);
      }
    }
  };
  for (const base of roots) {
    if (base !== '') {
      // The base folder itself must be a real folder, not a symlink out of the repository.
      const stat = await fs.lstat(path.join(root, base)).catch(() => undefined);
      if (!stat?.isDirectory()) continue;
    }
    await walk(base);
  }
  return [...found].sort();
}

/** Reads one plan file (relative to `root`); what is wrong with it is its `problem`. */
export async function readPlanFile(root: string, file: string): Promise<PlanFile> {
  const format = planFileFormat(file) ?? 'markdown';
  const bad = validatePlanFile(file);
  if (bad) return { file, format, problem: bad };
  try {
    return parsePlanFile(file, await readText(root, file));
  } catch (e) {
    return { file, format, problem: `${file}: ${(e as Error).message}` };
  }
}

/** Finds and reads every plan file under `root`. */
export async function loadPlanFiles(root: string, patterns: readonly string[]): Promise<PlanFile[]> {
  const files = await findPlanFiles(root, patterns);
  return Promise.all(files.map((file) => readPlanFile(root, file)));
}

/** The plan a file starts: its id (if any) and title, validated. Throws `InvalidName` with the file's problem. */
export function planFromFile(planFile: PlanFile): { id?: string; title: string; planFile: string } {
  if (planFile.problem !== undefined || planFile.title === undefined) {
    throw new PlanWorktreesError(
      ErrorCode.InvalidName,
      `Not a plan that can be started: ${planFile.problem ?? `${planFile.file} has no title.`}`,
    );
  }
  return {
    id: planFile.id === undefined ? undefined : ensureValid(planFile.id, validateId),
    title: ensureValid(planFile.title, validateTitle),
    planFile: ensureValid(planFile.file, validatePlanFile),
  };
}

// ---------------------------------------------------------------- status

/**
 * The text with its `status` set: the value of the front-matter line or the
 * JSON member is replaced, its quoting kept; a missing field is added (a
 * front-matter line before the closing `---`, a new front matter, or a JSON
 * member after the last one). Nothing else changes.
 */
export function withStatus(text: string, format: PlanFileFormat, status: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(status)) {
    throw new PlanWorktreesError(ErrorCode.InvalidName, `"${status}" is not a status the binding writes.`);
  }
  return format === 'json' ? jsonWithStatus(text, status) : markdownWithStatus(text, status);
}

function markdownWithStatus(text: string, status: string): string {
  const front = findFrontMatter(text);
  if (!front) {
    const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
    const eol = /\r\n|\n|\r/.exec(text)?.[0] ?? '\n';
    return `${bom}---${eol}status: ${status}${eol}---${eol}${text.slice(bom.length)}`;
  }
  const entry = front.entries.find((e) => e.key === 'status');
  if (!entry) return `${text.slice(0, front.closeStart)}status: ${status}${front.eol}${text.slice(front.closeStart)}`;
  const quote = entry.raw.startsWith('"') ? '"' : entry.raw.startsWith("'") ? "'" : '';
  const value = `${quote}${status}${quote}`;
  // `status:` with nothing after it: the value goes after one space.
  const lead = entry.valueStart === entry.valueEnd && !/[ \t]$/.test(text.slice(0, entry.valueStart)) ? ' ' : '';
  return `${text.slice(0, entry.valueStart)}${lead}${value}${text.slice(entry.valueEnd)}`;
}

interface JsonMember {
  key: string;
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
}

function jsonWithStatus(text: string, status: string): string {
  const value = JSON.parse(stripBom(text)) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PlanWorktreesError(
      ErrorCode.InvalidName,
      'The plan file is not a JSON object; its status cannot be set.',
    );
  }
  const { members, open } = topLevelMembers(text);
  const encoded = JSON.stringify(status);
  const existing = members.filter((m) => m.key === 'status').pop();
  if (existing) return `${text.slice(0, existing.valueStart)}${encoded}${text.slice(existing.valueEnd)}`;
  const first = members[0];
  const last = members[members.length - 1];
  if (!first || !last) return `${text.slice(0, open + 1)}"status": ${encoded}${text.slice(open + 1)}`;
  const indent = text.slice(open + 1, first.keyStart);
  // The new member is written as the first one is: its indentation and its `": "`.
  const colon = text.slice(first.keyEnd, first.valueStart);
  const separator = /[\r\n]/.test(indent) ? `,${indent}` : ', ';
  return `${text.slice(0, last.valueEnd)}${separator}"status"${colon}${encoded}${text.slice(last.valueEnd)}`;
}

/** The members of the top-level object of valid JSON text, with offsets. */
function topLevelMembers(text: string): { members: JsonMember[]; open: number } {
  let i = text.startsWith('\uFEFF') ? 1 : 0;
  const skip = (): void => {
    while (i < text.length && /[ \t\r\n]/.test(text[i])) i++;
  };
  const skipString = (): void => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  const skipValue = (): void => {
    if (text[i] === '"') return skipString();
    if (text[i] === '{' || text[i] === '[') {
      let depth = 0;
      do {
        if (text[i] === '"') {
          skipString();
          continue;
        }
        if (text[i] === '{' || text[i] === '[') depth++;
        else if (text[i] === '}' || text[i] === ']') depth--;
        i++;
      } while (depth > 0 && i < text.length);
      return;
    }
    while (i < text.length && !/[,}\] \t\r\n]/.test(text[i])) i++;
  };
  skip();
  const open = i;
  i++;
  const members: JsonMember[] = [];
  for (;;) {
    skip();
    if (text[i] === '}' || i >= text.length) break;
    if (text[i] === ',') {
      i++;
      continue;
    }
    const keyStart = i;
    skipString();
    const keyEnd = i;
    const key = JSON.parse(text.slice(keyStart, keyEnd)) as string;
    skip();
    i++; // ':'
    skip();
    const valueStart = i;
    skipValue();
    members.push({ key, keyStart, keyEnd, valueStart, valueEnd: i });
  }
  return { members, open };
}

/**
 * Sets the `status` of the plan file `file` (relative to `root`). Refuses a
 * file the `planFiles` patterns do not name (see `ensureBindable`), a
 * path outside `root`, a symlink, a file that is not UTF-8 text; writes a
 * temporary file and renames it over the old one, keeping its mode. Returns
 * whether the file changed (`unchanged` when it already had that status).
 */
export async function writePlanFileStatus(
  root: string,
  file: string,
  status: BoundStatus,
  patterns: readonly string[] = DEFAULT_PLAN_FILE_PATTERNS,
): Promise<'changed' | 'unchanged'> {
  ensureBindable(file, patterns);
  const format = planFileFormat(file) ?? 'markdown';
  const text = await readText(root, file);
  const current = parsePlanFile(file, text);
  if (current.status === status) return 'unchanged';
  const updated = withStatus(text, format, status);
  const target = path.join(root, file);
  const { mode } = await fs.stat(target);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temp, updated, { flag: 'wx', mode: mode & 0o777 });
    await fs.chmod(temp, mode & 0o777);
    await fs.rename(temp, target);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
  return 'changed';
}

/**
 * Throws `InvalidName` unless the status binding may write `file`: a plan file
 * (relative, no `..`, nothing under `.git`) that the `planFiles` patterns
 * name. The file a plan records comes from the registry, which is data.
 */
export function ensureBindable(file: string, patterns: readonly string[]): void {
  ensureValid(file, validatePlanFile);
  if (!planFileFormat(file) || !matchesPlanFilePatterns(file, patterns)) {
    throw new PlanWorktreesError(
      ErrorCode.InvalidName,
      `${file} is not a plan file the "planFiles" setting names; its status is not written.`,
    );
  }
}

/**
 * The status changes the binding makes for these events: `in_progress` for a
 * `create.after`, `done` for a `merge.after`, at or after `since` and not in
 * the future (times compared as times; an event whose time does not parse is
 * left out).
 */
export function boundStatusChanges(
  events: readonly LifecycleEvent[],
  since: number,
  now = Date.now(),
): Array<{ event: LifecycleEvent & { planId: string }; status: BoundStatus }> {
  const changes: Array<{ event: LifecycleEvent & { planId: string }; status: BoundStatus }> = [];
  for (const event of events) {
    const status: BoundStatus | undefined =
      event.type === 'create.after' ? 'in_progress' : event.type === 'merge.after' ? 'done' : undefined;
    const time = typeof event.time === 'string' ? Date.parse(event.time) : NaN;
    if (!status || typeof event.planId !== 'string' || !(time >= since && time <= now + FUTURE_SLACK_MS)) continue;
    changes.push({ event: event as LifecycleEvent & { planId: string }, status });
  }
  return changes;
}

/** Clocks of the windows writing the log may differ a little. */
const FUTURE_SLACK_MS = 60_000;

/** The text of a plan file: a regular file inside `root` (no symlink on the way), at most MAX_PLAN_FILE_BYTES, valid UTF-8. */
async function readText(root: string, file: string): Promise<string> {
  const realRoot = await fs.realpath(root);
  const target = path.join(realRoot, file);
  for (let dir = path.dirname(target); dir !== realRoot && isInside(realRoot, dir); dir = path.dirname(dir)) {
    if ((await fs.lstat(dir)).isSymbolicLink()) {
      throw new PlanWorktreesError(
        ErrorCode.InvalidName,
        `${path.relative(realRoot, dir)} is a symlink; plan files are read only from real folders.`,
      );
    }
  }
  const stat = await fs.lstat(target);
  if (stat.isSymbolicLink()) {
    throw new PlanWorktreesError(ErrorCode.InvalidName, 'it is a symlink; plan files must be regular files.');
  }
  if (!stat.isFile()) throw new PlanWorktreesError(ErrorCode.InvalidName, 'it is not a regular file.');
  if (stat.size > MAX_PLAN_FILE_BYTES) {
    throw new PlanWorktreesError(
      ErrorCode.InvalidName,
      `it is ${stat.size} bytes long; plan files of at most ${MAX_PLAN_FILE_BYTES} bytes are read.`,
    );
  }
  const handle = await fs.open(target, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  let bytes: Buffer;
  try {
    bytes = await handle.readFile();
  } finally {
    await handle.close();
  }
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    throw new PlanWorktreesError(ErrorCode.InvalidName, 'it is not UTF-8 text.');
  }
  return text;
}

/** Patterns relative to the root: no absolute path, no `..`, `/`-separated. */
function usablePatterns(patterns: readonly string[]): string[] {
  return patterns
    .map((p) => p.trim().replace(/\\/g, '/').replace(/^\.\//, ''))
    .filter((p) => p !== '' && !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.split('/').includes('..'));
}

/** The folder part of a pattern before its first glob character: `plans/**\/*.md` → `plans`. */
function literalBase(pattern: string): string {
  const parts = pattern.split('/');
  const base: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (/[*?[{]/.test(part)) break;
    base.push(part);
  }
  return base.join('/');
}
