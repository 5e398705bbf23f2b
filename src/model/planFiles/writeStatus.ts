/**
 * Writes a plan file's `status`: that field only, every other byte of the
 * file as it was. The front matter is located with the `yaml` library and the
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
import { fieldValue, findFrontMatter, FrontMatter, frontMatterPairs, parsePlanFile, yamlLibrary } from './parse';

/** The statuses the status binding writes. */
export type BoundStatus = 'in_progress' | 'done';

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
  return format === 'json' ? jsonWithStatus(text, status) : markdownWithStatus(text, status);
}

/**
 * Sets the `status` of the plan file `file` (relative to `root`). Refuses a
 * file the `planFiles` patterns do not name (see `ensureBindable`), a
 * path outside `root`, a symlink, a file that is not UTF-8 text, and what
 * `withStatus` refuses; writes a temporary file and renames it over the old
 * one, keeping its mode. Returns whether the file changed (`unchanged` when
 * it already had that status).
 */
export async function writePlanFileStatus(
  root: string,
  file: string,
  status: BoundStatus,
  patterns: readonly string[] = DEFAULT_PLAN_FILE_PATTERNS,
): Promise<'changed' | 'unchanged'> {
  ensureBindable(file, patterns);
  const format = planFileFormat(file) ?? 'markdown';
  const text = await readPlanFileText(root, file);
  if (parsePlanFile(file, text).status === status) return 'unchanged';
  const updated = withStatus(text, format, status);
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

function jsonWithStatus(text: string, status: string): string {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const json = text.slice(bom.length);
  const root = readJson(json);
  if (root.type !== 'object') refuse('The plan file is not a JSON object.');
  const members = (root.children ?? []).filter((member) => member.children?.[0]?.value === 'status');
  if (members.length > 1) refuse(`"status" appears ${members.length} times in the plan file.`);
  const current = members[0]?.children?.[1];
  if (current && !['string', 'number', 'null'].includes(current.type)) {
    refuse('"status" in the plan file is not a string or a number.');
  }
  const edits =
    members.length === 0 && root.children?.length
      ? newMember(json, root, status)
      : modify(json, ['status'], status, {});
  const updated = applyEdits(json, edits);
  const before: unknown = parse(json, [], { allowTrailingComma: true });
  const errors: ParseError[] = [];
  const after: unknown = parse(updated, errors, { allowTrailingComma: true });
  if (errors.length > 0 || !isDeepStrictEqual(after, { ...(before as object), status })) {
    refuse('Setting the status would change how the rest of the plan file reads.');
  }
  return bom + updated;
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
 * The edits adding a `"status"` member after the last one, written as the
 * others are: on a line of its own with the last member's indentation when
 * that member has a line of its own (after its comma and any comment on that
 * line, with a trailing comma when the last member had one), else after `, `;
 * its colon spaced like the first member's.
 */
function newMember(json: string, root: JsonNode, status: string): Edit[] {
  const members = root.children ?? [];
  const [first, last] = [members[0], members[members.length - 1]];
  const [key, value] = first.children ?? [];
  const colonText = key && value ? json.slice(key.offset + key.length, value.offset) : '';
  const member = `"status"${/^[ \t]*:[ \t]*$/.test(colonText) ? colonText : ': '}${JSON.stringify(status)}`;
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
