import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ErrorCode } from '../../../../src/model/engine/errors';
import {
  activityFile,
  activityFolder,
  activityKeys,
  activityState,
  isProcessAlive,
  makeActivityReport,
  MAX_ACTIVITY_BYTES,
  parseActivityFileName,
  PlanActivity,
  readPlanActivity,
  removePlanActivity,
  reportFile,
  shortenCommand,
  WindowActivity,
  writeActivityReport,
  writeWindowActivity,
} from '../../../../src/model/store/activity';
import { isPlanError } from '../../helpers/errors';
import { makeTempDir, removeDir } from '../../helpers/repo';

const me = { pid: process.pid, hostname: os.hostname() };

function windowActivity(over: Partial<WindowActivity> = {}): WindowActivity {
  return {
    version: 1,
    planId: '189',
    run: 1,
    window: { ...me, open: true, since: '2026-01-01T10:00:00.000Z' },
    running: [],
    ...over,
  };
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = makeTempDir();
  try {
    await body(dir);
  } finally {
    removeDir(dir);
  }
}

describe('plan activity files', () => {
  it('are written whole and read back, one pair of files per run of an id', () =>
    withDir(async (dir) => {
      const first = windowActivity({
        running: [{ command: 'npm test', source: 'terminal', started: '2026-01-01T10:01:00.000Z' }],
      });
      const second = windowActivity({ run: 2, lastChange: '2026-01-01T10:02:00.000Z' });
      await writeWindowActivity(dir, first);
      await writeWindowActivity(dir, second);
      const report = makeActivityReport({ id: '189', run: 2 }, { state: 'waitingForInput', message: 'Approve?' }, me);
      await writeActivityReport(dir, '189', 2, report);
      assert.deepStrictEqual(await readPlanActivity(dir, '189', 1), { planId: '189', run: 1, window: first });
      assert.deepStrictEqual(await readPlanActivity(dir, '189', 2), {
        planId: '189',
        run: 2,
        window: second,
        report,
      });
      assert.deepStrictEqual(fs.readdirSync(activityFolder(dir)).sort(), [
        '189@1.json',
        '189@2.json',
        '189@2.report.json',
      ]);
      assert.deepStrictEqual(
        (await activityKeys(dir)).map((k) => [k.planId, k.run, k.files.map((f) => path.basename(f))]),
        [
          ['189', 1, ['189@1.json']],
          ['189', 2, ['189@2.json', '189@2.report.json']],
        ],
      );
      await writeActivityReport(dir, '189', 2, undefined);
      assert.deepStrictEqual(await readPlanActivity(dir, '189', 2), { planId: '189', run: 2, window: second });
      await removePlanActivity(dir, '189', 1);
      assert.deepStrictEqual(await readPlanActivity(dir, '189', 1), { planId: '189', run: 1 });
    }));

  it('reads nothing (and makes no folder) when there is none', () =>
    withDir(async (dir) => {
      assert.deepStrictEqual(await readPlanActivity(dir, '7', 1), { planId: '7', run: 1 });
      assert.deepStrictEqual(await activityKeys(dir), []);
      await writeActivityReport(dir, '7', 1, undefined);
      assert.ok(!fs.existsSync(activityFolder(dir)));
    }));

  it('refuses, naming the member, a file that does not hold what the window writes', () =>
    withDir(async (dir) => {
      const file = activityFile(dir, '189', 1);
      const cases: Array<[unknown, string]> = [
        ['not json', 'json'],
        [[], '(file)'],
        [{ ...windowActivity(), version: 2 }, 'version'],
        [{ ...windowActivity(), planId: '190' }, 'planId'],
        [{ ...windowActivity(), run: 2 }, 'run'],
        [{ ...windowActivity(), window: { ...me, open: 'yes', since: '2026-01-01T10:00:00Z' } }, 'window.open'],
        [
          { ...windowActivity(), window: { pid: -1, hostname: 'h', open: true, since: '2026-01-01T10:00:00Z' } },
          'window.pid',
        ],
        [{ ...windowActivity(), window: { ...me, open: true, since: 'yesterday' } }, 'window.since'],
        [{ ...windowActivity(), running: {} }, 'running'],
        [
          {
            ...windowActivity(),
            running: Array(11).fill({ command: 'x', source: 'task', started: '2026-01-01T10:00:00Z' }),
          },
          'running',
        ],
        [
          {
            ...windowActivity(),
            running: [{ command: 'x'.repeat(500), source: 'task', started: '2026-01-01T10:00:00Z' }],
          },
          'running[0].command',
        ],
        [
          {
            ...windowActivity(),
            running: [{ command: 'rm -rf /\u001b[2J', source: 'task', started: '2026-01-01T10:00:00Z' }],
          },
          'running[0].command',
        ],
        [
          { ...windowActivity(), running: [{ command: 'x', source: 'shell', started: '2026-01-01T10:00:00Z' }] },
          'running[0].source',
        ],
        [
          {
            ...windowActivity(),
            last: {
              command: 'x',
              source: 'task',
              started: '2026-01-01T10:00:00Z',
              ended: '2026-01-01T10:00:01Z',
              exitCode: '1',
            },
          },
          'last.exitCode',
        ],
        [
          { ...windowActivity(), last: { command: 'x', source: 'task', started: '2026-01-01T10:00:00Z' } },
          'last.ended',
        ],
      ];
      fs.mkdirSync(path.dirname(file), { recursive: true });
      for (const [content, field] of cases) {
        fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
        await assert.rejects(
          readPlanActivity(dir, '189', 1),
          isPlanError(ErrorCode.StateFileInvalid, { field, path: file }),
          `${field}: ${JSON.stringify(content)}`,
        );
      }
      const report = reportFile(dir, '189', 1);
      fs.rmSync(file);
      for (const [content, field] of [
        [{ version: 1, planId: '189', run: 1, state: 'sleeping', time: '2026-01-01T10:00:00Z', reporter: me }, 'state'],
        [
          { version: 1, planId: '189', run: 1, state: 'done', time: '2026-01-01T10:00:00Z', reporter: {} },
          'reporter.pid',
        ],
        [
          {
            version: 1,
            planId: '189',
            run: 1,
            state: 'done',
            message: 'a\nb',
            time: '2026-01-01T10:00:00Z',
            reporter: me,
          },
          'message',
        ],
      ] as Array<[unknown, string]>) {
        fs.writeFileSync(report, JSON.stringify(content));
        await assert.rejects(readPlanActivity(dir, '189', 1), isPlanError(ErrorCode.StateFileInvalid, { field }));
      }
    }));

  it('does not read a file far larger than a real one, or through a symbolic link', () =>
    withDir(async (dir) => {
      const file = activityFile(dir, '189', 1);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, ' '.repeat(MAX_ACTIVITY_BYTES + 1));
      await assert.rejects(readPlanActivity(dir, '189', 1), isPlanError(ErrorCode.StateFileTooLarge));
      fs.rmSync(file);
      const elsewhere = path.join(dir, 'elsewhere.json');
      fs.writeFileSync(elsewhere, JSON.stringify(windowActivity()));
      fs.symlinkSync(elsewhere, file);
      await assert.rejects(readPlanActivity(dir, '189', 1), isPlanError(ErrorCode.StateFileUnsafe));
    }));

  it('refuses to write what it would refuse to read, and changes nothing', () =>
    withDir(async (dir) => {
      await assert.rejects(
        writeWindowActivity(dir, windowActivity({ running: [{ command: 'a\tb', source: 'task', started: 'now' }] })),
        isPlanError(ErrorCode.StateFileInvalid, { field: 'running[0].command' }),
      );
      assert.ok(!fs.existsSync(activityFolder(dir)));
    }));

  it('keeps an odd id inside the folder, and knows only the names it writes', () =>
    withDir(async (dir) => {
      assert.strictEqual(path.dirname(activityFile(dir, '../../x', 1)), activityFolder(dir));
      assert.deepStrictEqual(parseActivityFileName('189@3.json'), { planId: '189', run: 3, report: false });
      assert.deepStrictEqual(parseActivityFileName('a.b@12.report.json'), { planId: 'a.b', run: 12, report: true });
      for (const name of ['189.json', '189@0.json', '189@1.json.tmp-1-ab', '..@1.json', '%E0%A4%A@1.json', '@1.json']) {
        assert.strictEqual(parseActivityFileName(name), undefined, name);
      }
    }));
});

describe('a command line as it is published', () => {
  it('is one line, without control characters, shortened', () => {
    assert.strictEqual(shortenCommand('  npm   test\n  -- --watch '), 'npm test -- --watch');
    assert.strictEqual(shortenCommand('echo \u001b[31mred'), 'echo ?[31mred');
    const long = shortenCommand(`node ${'x'.repeat(100)}`);
    assert.strictEqual(long.length, 61);
    assert.ok(long.endsWith('…'));
    assert.strictEqual(shortenCommand(long), long, 'shortening twice changes nothing');
  });
});

describe('an activity report from an extension', () => {
  it('says one of three states, with a printable one-line message', () => {
    const report = makeActivityReport(
      { id: '5', run: 2 },
      { state: 'working', message: 'Writing tests' },
      me,
      new Date(0),
    );
    assert.deepStrictEqual(report, {
      version: 1,
      planId: '5',
      run: 2,
      state: 'working',
      message: 'Writing tests',
      time: '1970-01-01T00:00:00.000Z',
      reporter: me,
    });
    for (const [input, field] of [
      [{ state: 'asleep' }, 'state'],
      [{}, 'state'],
      [{ state: 'done', message: 3 }, 'message'],
      [{ state: 'done', message: 'two\nlines' }, 'message'],
      [{ state: 'done', message: 'x'.repeat(201) }, 'message'],
    ] as Array<[{ state?: unknown; message?: unknown }, string]>) {
      assert.throws(
        () => makeActivityReport({ id: '5', run: 2 }, input, me),
        isPlanError(ErrorCode.InvalidName, { reason: 'activityReport', field }),
      );
    }
  });
});

describe('what the activity of a plan comes to', () => {
  const alive = () => true;
  const dead = () => false;
  const t = (minute: number) => `2026-01-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
  const of = (window?: WindowActivity, report?: PlanActivity['report']): PlanActivity => ({
    planId: '189',
    run: 1,
    ...(window ? { window } : {}),
    ...(report ? { report } : {}),
  });
  const ended = (exitCode: number | undefined, minute: number) => ({
    command: 'npm test',
    source: 'terminal' as const,
    started: t(minute - 1),
    ended: t(minute),
    ...(exitCode !== undefined ? { exitCode } : {}),
  });

  it('is nothing when no window published and no extension reported', () => {
    assert.strictEqual(activityState(of()), undefined);
  });

  it('is running while a command runs: the newest one, and how many more', () => {
    const window = windowActivity({
      running: [
        { command: 'npm run dev', source: 'task', started: t(1) },
        { command: 'npm test', source: 'terminal', started: t(3) },
      ],
      last: ended(1, 2),
    });
    assert.deepStrictEqual(activityState(of(window), alive), {
      kind: 'running',
      command: 'npm test',
      since: t(3),
      more: 1,
    });
  });

  it('is the exit of the last command while nothing changed after it, then idle since the last change', () => {
    assert.deepStrictEqual(activityState(of(windowActivity({ last: ended(0, 5), lastChange: t(4) })), alive), {
      kind: 'exited',
      command: 'npm test',
      exitCode: 0,
      since: t(5),
    });
    assert.deepStrictEqual(activityState(of(windowActivity({ last: ended(undefined, 5) })), alive), {
      kind: 'exited',
      command: 'npm test',
      since: t(5),
    });
    assert.deepStrictEqual(activityState(of(windowActivity({ last: ended(2, 5), lastChange: t(9) })), alive), {
      kind: 'idle',
      since: t(9),
    });
    assert.deepStrictEqual(activityState(of(windowActivity()), alive), { kind: 'idle', since: t(0) });
  });

  it('is "closed" when the window said so, or when its extension host is no longer running', () => {
    const closed = windowActivity({ window: { ...me, open: false, since: t(7) } });
    assert.deepStrictEqual(activityState(of(closed), alive), { kind: 'closed', since: t(7) });
    const died = windowActivity({ running: [{ command: 'x', source: 'task', started: t(1) }], lastChange: t(3) });
    assert.deepStrictEqual(activityState(of(died), dead), { kind: 'closed', since: t(3) });
  });

  it('is what a running extension reported first; a report of one that stopped counts for nothing', () => {
    const report = makeActivityReport({ id: '189', run: 1 }, { state: 'waitingForInput' }, me, new Date(t(8)));
    const window = windowActivity({ running: [{ command: 'claude', source: 'terminal', started: t(1) }] });
    assert.deepStrictEqual(activityState(of(window, report), alive), {
      kind: 'reported',
      state: 'waitingForInput',
      since: t(8),
    });
    assert.strictEqual(activityState(of(window, report), dead)?.kind, 'closed');
    assert.strictEqual(activityState(of(undefined, report), dead), undefined);
  });

  it('knows a process that runs from one that does not', () => {
    assert.strictEqual(isProcessAlive(me), true);
    const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    assert.strictEqual(isProcessAlive({ pid: Number(child.stdout.trim()), hostname: os.hostname() }), false);
    assert.strictEqual(
      isProcessAlive({ pid: 999999999, hostname: `not-${os.hostname()}` }),
      true,
      'another machine: cannot tell',
    );
  });
});
