/**
 * Writes a plan file's `status` (and a task JSON's `worktree`): those fields
 * only, every other byte of the file as it was. The front matter is located with the `yaml` library and the
 * JSON member with `jsonc-parser`; the change is one splice of the text, and
 * it is read back before anything is written: a file whose other fields would
 * read differently afterwards (or that cannot be read at all) is refused and
 * left as it is.
 */
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import {
  applyEdits,
  createScanner,
  Edit,
  modify,
  Node as JsonNode,
  parse,
  parseTree,
  ParseError,
  printParseErrorCode,
  SyntaxKind,
} from 'jsonc-parser';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { ErrorCode, PlanError } from '../engine/errors';
import { LifecycleEvent } from '../engine/types';
import { DEFAULT_PLAN_FILE_PATTERNS, ensureBindable, PlanFileFormat, planFileFormat, readPlanFileText } from './find';
import { fieldValue, findFrontMatter, FrontMatter, frontMatterPairs, yamlLibrary } from './parse';
import { jsonStatusWords, statusWordFor, yamlStatusWords } from './statusWords';

/**
 * A step of a plan that the status binding writes into its file: started
 * (the status, and a task JSON's `worktree`), finished (merged: the status),
 * removed (cleaned up or discarded: a task JSON's `worktree`, when it still
 * names the worktree removed).
 */
export type BoundStep =
  { step: 'started'; worktree: string } | { step: 'finished' } | { step: 'removed'; worktree: string };

/**
 * The text after a step of its plan: the status set to the file's own word
 * for it (see `statusWordFor`); a task JSON's `worktree` member set to the
 * plan's worktree when it starts and removed when that worktree is removed
 * (left alone when it names another one, such as a later run's). Markdown
 * plans get the status only. The same text when nothing changes; throws what
 * `withStatus` throws.
 */
export function withStep(text: string, format: PlanFileFormat, step: BoundStep): string {
  if (step.step === 'removed') {
    if (format !== 'json') return text;
    const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
    const current = topLevelMembers(readJson(text.slice(bom.length)), 'worktree');
    if (current.length !== 1 || current[0].children?.[1]?.value !== step.worktree) return text;
    return jsonWithFields(text, { worktree: undefined });
  }
  const status = statusWordFor(step.step, statusWords(text, format), format);
  if (format === 'markdown') return markdownWithStatus(text, status);
  return jsonWithFields(text, step.step === 'started' ? { status, worktree: step.worktree } : { status });
}

/** The status words a plan file uses: its own `status` first, then those nested in it (subtasks'); none when it cannot be read. */
export function statusWords(text: string, format: PlanFileFormat): string[] {
  try {
    if (format === 'json') return jsonStatusWords(readJson(text.replace(/^\uFEFF/, '')));
    const document = findFrontMatter(text)?.document;
    return document ? yamlStatusWords(document.toJS()) : [];
  } catch {
    return []; // the edit itself says what is wrong with the file
  }
}

/**
 * The text with its `status` set: the value of the front-matter field or the
 * JSON member is replaced, its quoting kept; a missing field is added (a
 * front-matter line before the closing `---`, a new front matter, or a JSON
 * member after the last one, laid out like the others). Nothing else changes.
 * Throws `InvalidName` for a front matter that is not valid YAML or not a
 * mapping, JSON that is not valid (comments and trailing commas are kept, not
 * refused) or not an object, a `status` given twice or that is not one line
 * of text, and any edit after which another field would read differently.
 */
export function withStatus(text: string, format: PlanFileFormat, status: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(status)) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'statusNotWritten', status });
  }
  return format === 'json' ? jsonWithFields(text, { status }) : markdownWithStatus(text, status);
}

/**
 * Sets the `status` of the plan file `file` (relative to `root`). Refuses a
 * file the `planFiles` patterns do not name (see `ensureBindable`), a
 * path outside `root`, a symlink, a file that is not UTF-8 text, and what
 * `withStatus` refuses; writes a temporary file and renames it over the old
 * one, keeping its mode. Returns whether the file changed (`unchanged` when
 * it already had that status).
 */
export function writePlanFileStatus(
  root: string,
  file: string,
  status: string,
  patterns: readonly string[] = DEFAULT_PLAN_FILE_PATTERNS,
): Promise<'changed' | 'unchanged'> {
  return rewritePlanFile(root, file, patterns, (text, format) => withStatus(text, format, status));
}

/** Writes a step of its plan into the plan file `file` (see `withStep`), refusing what `writePlanFileStatus` refuses. */
export function writePlanFileStep(
  root: string,
  file: string,
  step: BoundStep,
  patterns: readonly string[] = DEFAULT_PLAN_FILE_PATTERNS,
): Promise<'changed' | 'unchanged'> {
  return rewritePlanFile(root, file, patterns, (text, format) => withStep(text, format, step));
}

async function rewritePlanFile(
  root: string,
  file: string,
  patterns: readonly string[],
  edit: (text: string, format: PlanFileFormat) => string,
): Promise<'changed' | 'unchanged'> {
  ensureBindable(file, patterns);
  const format = planFileFormat(file) ?? 'markdown';
  const text = await readPlanFileText(root, file);
  const updated = edit(text, format);
  if (updated === text) return 'unchanged';
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
 * The steps the binding writes for these events: started for a
 * `create.after`, finished for a `merge.after`, removed for a `remove.after`
 * that removed the worktree; at or after `since` and not in the future (times
 * compared as times; an event whose time does not parse is left out).
 */
export function boundSteps(
  events: readonly LifecycleEvent[],
  since: number,
  now = Date.now(),
): Array<{ event: LifecycleEvent & { planId: string }; step: BoundStep['step'] }> {
  const changes: Array<{ event: LifecycleEvent & { planId: string }; step: BoundStep['step'] }> = [];
  for (const event of events) {
    const step: BoundStep['step'] | undefined =
      event.type === 'create.after'
        ? 'started'
        : event.type === 'merge.after'
          ? 'finished'
          : event.type === 'remove.after' && event.removedWorktree === true
            ? 'removed'
            : undefined;
    const time = typeof event.time === 'string' ? Date.parse(event.time) : NaN;
    if (!step || typeof event.planId !== 'string' || !(time >= since && time <= now + FUTURE_SLACK_MS)) continue;
    changes.push({ event: event as LifecycleEvent & { planId: string }, step });
  }
  return changes;
}

/** Clocks of the windows writing the log may differ a little. */
const FUTURE_SLACK_MS = 60_000;

/** Refuses to edit a plan file; `problem` says what is wrong with it (made by the parser, like a name's problem). */
function refuse(problem: string): never {
  throw new PlanError(ErrorCode.InvalidName, { reason: 'planFileNotEditable', problem });
}

// ---------------------------------------------------------------- Markdown

function markdownWithStatus(text: string, status: string): string {
  const front = findFrontMatter(text);
  if (!front) {
    const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
    const eol = /\r\n|\n|\r/.exec(text)?.[0] ?? '\n';
    return checkedFrontMatter(
      text,
      `${bom}---${eol}status: ${plainYaml(status)}${eol}---${eol}${text.slice(bom.length)}`,
      status,
    );
  }
  const { isMap, isScalar } = yamlLibrary();
  if (front.problem !== undefined) refuse(`The plan file's ${front.problem.replace(/^the /, '')}`);
  const contents = front.document.contents;
  if (contents !== null && !isMap(contents)) {
    refuse('The plan file\'s front matter is not a list of "key: value" fields.');
  }
  const pairs = frontMatterPairs(front, 'status');
  if (pairs.length > 1) refuse(`"status" appears ${pairs.length} times in the plan file's front matter.`);
  const pair = pairs[0];
  if (!pair) {
    const line = `${firstKeyIndent(front)}status: ${plainYaml(status)}${front.eol}`;
    return checkedFrontMatter(text, `${text.slice(0, front.end)}${line}${text.slice(front.end)}`, status);
  }
  const value = fieldValue(pair.value, front.yaml);
  const range = isScalar(pair.value) ? pair.value.range : undefined;
  if (typeof value === 'object' || !range || !isScalar(pair.value)) {
    refuse(`"status" in the plan file's front matter is not one line of text.`);
  }
  const start = front.start + range[0];
  const end = front.start + range[1];
  const type = pair.value.type;
  const written =
    type === 'QUOTE_DOUBLE' ? JSON.stringify(status) : type === 'QUOTE_SINGLE' ? `'${status}'` : plainYaml(status);
  // `status:` with nothing after it: the value goes after one space, and before one when a comment follows.
  const lead = start === end && !/[ \t]$/.test(text.slice(0, start)) ? ' ' : '';
  const trail = start === end && /^[^\r\n \t]/.test(text.slice(end)) ? ' ' : '';
  return checkedFrontMatter(text, `${text.slice(0, start)}${lead}${written}${trail}${text.slice(end)}`, status);
}

/** The indentation of the front matter's first key (a top-level mapping may be indented). */
function firstKeyIndent(front: FrontMatter): string {
  const { isMap, isScalar } = yamlLibrary();
  const contents = front.document?.contents;
  const key = isMap(contents) ? contents.items[0]?.key : undefined;
  const at = isScalar(key) ? key.range?.[0] : undefined;
  if (at === undefined) return '';
  const indent = front.yaml.slice(front.yaml.lastIndexOf('\n', at - 1) + 1, at);
  return /^[ \t]*$/.test(indent) ? indent : '';
}

/** The status as a plain YAML scalar when it reads back as that text (not `null`, `true`, `1`...), else double-quoted. */
function plainYaml(status: string): string {
  return yamlLibrary().parse(status) === status ? status : JSON.stringify(status);
}

/** `updated` when its front matter reads like `text`'s with only `status` changed, and the body is the same. */
function checkedFrontMatter(text: string, updated: string, status: string): string {
  const before = findFrontMatter(text);
  const after = findFrontMatter(updated);
  const body = (t: string, front: FrontMatter | undefined): string =>
    front ? t.slice(front.bodyStart) : t.replace(/^\uFEFF/, '');
  const same = ((): boolean => {
    try {
      return (
        after?.document !== undefined &&
        body(updated, after) === body(text, before) &&
        isDeepStrictEqual(after.document.toJS(), { ...(before?.document?.toJS() as object | null), status })
      );
    } catch {
      return false; // toJS refuses a document whose aliases expand too far
    }
  })();
  if (!same) refuse("Setting the status would change how the rest of the plan file's front matter reads.");
  return updated;
}

// ---------------------------------------------------------------- JSON

/**
 * The JSON text with these top-level members set (a string) or removed
 * (undefined), in this order; each a splice of the text (see `newMember` and
 * `removeMember`), checked by reading the result back.
 */
function jsonWithFields(text: string, fields: { status?: string; worktree?: string | undefined }): string {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const json = text.slice(bom.length);
  let updated = json;
  for (const [key, value] of Object.entries(fields) as Array<[string, string | undefined]>) {
    const root = readJson(updated);
    if (root.type !== 'object') refuse('The plan file is not a JSON object.');
    const members = topLevelMembers(root, key);
    if (members.length > 1) refuse(`"${key}" appears ${members.length} times in the plan file.`);
    const current = members[0]?.children?.[1];
    const allowed = key === 'status' ? ['string', 'number', 'null'] : ['string', 'null'];
    if (current && !allowed.includes(current.type)) {
      refuse(`"${key}" in the plan file is not ${key === 'status' ? 'a string or a number' : 'a string'}.`);
    }
    if (value === undefined && !members[0]) continue;
    const edits =
      value === undefined
        ? removeMember(updated, root, members[0])
        : members.length === 0 && root.children?.length
          ? newMember(updated, root, key, value)
          : modify(updated, [key], value, {});
    updated = applyEdits(updated, edits);
  }
  const before = parse(json, [], { allowTrailingComma: true }) as Record<string, unknown>;
  const expected: Record<string, unknown> = { ...before };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) delete expected[key];
    else expected[key] = value;
  }
  const errors: ParseError[] = [];
  const after: unknown = parse(updated, errors, { allowTrailingComma: true });
  if (errors.length > 0 || !isDeepStrictEqual(after, expected)) {
    refuse(
      `Setting ${Object.keys(fields)
        .map((k) => `"${k}"`)
        .join(' and ')} would change how the rest of the plan file reads.`,
    );
  }
  return bom + updated;
}

/** The object's members named `key` (more than one when the file repeats it). */
function topLevelMembers(root: JsonNode, key: string): JsonNode[] {
  return root.type === 'object' ? (root.children ?? []).filter((member) => member.children?.[0]?.value === key) : [];
}

/**
 * The edits removing a member. One on a line of its own goes with its line
 * (its comma and a comment after it on that line too); when it was the last
 * member and had no comma, the comma before it goes as well. Any other is
 * left to jsonc-parser.
 */
function removeMember(json: string, root: JsonNode, member: JsonNode): Edit[] {
  const key = member.children?.[0]?.value as string;
  const lineStart = Math.max(json.lastIndexOf('\n', member.offset - 1), json.lastIndexOf('\r', member.offset - 1)) + 1;
  if (lineStart === 0 || !/^[ \t]*$/.test(json.slice(lineStart, member.offset))) {
    return modify(json, [key], undefined, {});
  }
  const scanner = createScanner(json, false);
  scanner.setPosition(member.offset + member.length);
  let comma = false;
  for (;;) {
    const kind = scanner.scan();
    if (kind === SyntaxKind.Trivia || kind === SyntaxKind.LineCommentTrivia) continue;
    if (kind === SyntaxKind.BlockCommentTrivia && !/[\r\n]/.test(scanner.getTokenValue())) continue;
    if (kind === SyntaxKind.CommaToken && !comma) {
      comma = true;
      continue;
    }
    if (kind !== SyntaxKind.LineBreakTrivia) return modify(json, [key], undefined, {});
    const lineEnd = scanner.getTokenOffset() + scanner.getTokenLength();
    const edits: Edit[] = [{ offset: lineStart, length: lineEnd - lineStart, content: '' }];
    const members = root.children ?? [];
    const previous = members[members.indexOf(member) - 1];
    if (!comma && previous && member === members[members.length - 1]) {
      const before = createScanner(json, false);
      before.setPosition(previous.offset + previous.length);
      for (let k = before.scan(); k !== SyntaxKind.EOF && before.getTokenOffset() < lineStart; k = before.scan()) {
        if (k === SyntaxKind.CommaToken) {
          edits.unshift({ offset: before.getTokenOffset(), length: 1, content: '' });
          break;
        }
      }
    }
    return edits;
  }
}

/** Task JSON nested deeper than this is not edited: jsonc-parser reads it by recursion, once per level. */
export const MAX_JSON_DEPTH = 64;

/** The JSON's tree; refuses text that is not JSON (comments and trailing commas are JSON here) or nests too deep. */
function readJson(json: string): JsonNode {
  const scanner = createScanner(json, true);
  let depth = 0;
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    if (kind === SyntaxKind.OpenBraceToken || kind === SyntaxKind.OpenBracketToken) depth++;
    else if (kind === SyntaxKind.CloseBraceToken || kind === SyntaxKind.CloseBracketToken) depth--;
    if (depth > MAX_JSON_DEPTH) refuse(`The plan file nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  const errors: ParseError[] = [];
  const root = parseTree(json, errors, { allowTrailingComma: true, disallowComments: false });
  const error = errors[0];
  if (error || !root) {
    const line = error ? json.slice(0, error.offset).split(/\r\n|\n|\r/).length : 1;
    refuse(
      `The plan file is not valid JSON (${error ? printParseErrorCode(error.error) : 'no value'} at line ${line}).`,
    );
  }
  return root;
}

/**
 * The edits adding a member `key` after the last one, written as the
 * others are: on a line of its own with the last member's indentation when
 * that member has a line of its own (after its comma and any comment on that
 * line, with a trailing comma when the last member had one), else after `, `;
 * its colon spaced like the first member's.
 */
function newMember(json: string, root: JsonNode, key: string, value: string): Edit[] {
  const members = root.children ?? [];
  const [first, last] = [members[0], members[members.length - 1]];
  const [firstKey, firstValue] = first.children ?? [];
  const colonText = firstKey && firstValue ? json.slice(firstKey.offset + firstKey.length, firstValue.offset) : '';
  const member = `${JSON.stringify(key)}${/^[ \t]*:[ \t]*$/.test(colonText) ? colonText : ': '}${JSON.stringify(value)}`;
  const end = last.offset + last.length;
  const lineStart = Math.max(json.lastIndexOf('\n', last.offset - 1), json.lastIndexOf('\r', last.offset - 1)) + 1;
  const indent = json.slice(lineStart, last.offset);
  if (lineStart === 0 || !/^[ \t]*$/.test(indent)) return [{ offset: end, length: 0, content: `, ${member}` }];
  const eol = json.slice(0, lineStart).endsWith('\r\n') ? '\r\n' : json[lineStart - 1];
  // What follows the last member on its line: a comma, comments.
  const scanner = createScanner(json, false);
  scanner.setPosition(end);
  let comma = false;
  for (;;) {
    const kind = scanner.scan();
    if (kind === SyntaxKind.Trivia || kind === SyntaxKind.LineCommentTrivia) continue;
    if (kind === SyntaxKind.BlockCommentTrivia && !/[\r\n]/.test(scanner.getTokenValue())) continue;
    if (kind === SyntaxKind.CommaToken && !comma) {
      comma = true;
      continue;
    }
    if (kind !== SyntaxKind.LineBreakTrivia) break;
    const lineEnd = scanner.getTokenOffset();
    const line = `${scanner.getTokenValue()}${indent}${member}${comma ? ',' : ''}`;
    return comma
      ? [{ offset: lineEnd, length: 0, content: line }]
      : [
          { offset: end, length: 0, content: ',' },
          { offset: lineEnd, length: 0, content: line },
        ];
  }
  return [{ offset: end, length: 0, content: `,${eol}${indent}${member}` }];
}
