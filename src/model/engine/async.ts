/**
 * The few async helpers the model and the UI share: `debounce` (file-system
 * events), `throttle` (refreshes), `sequentialize` (one call at a time),
 * `allInOrder` (independent reads at once), `mapInTurns` (per-item work
 * over many items, a few at a time) and `OperationQueue` (the lifecycle
 * operations of one repository, in order).
 */

export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  /** Drops a pending call. */
  cancel(): void;
}

/** Calls `fn` once, with the last arguments, when no call came for `delayMs`. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, delayMs: number): Debounced<A> {
  let timer: NodeJS.Timeout | undefined;
  const debounced = (...args: A): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, delayMs);
  };
  debounced.cancel = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return debounced;
}

/**
 * At most one run of `fn` at a time. A call while it runs waits for one more
 * run after it, shared by every call that came meanwhile (as the built-in git
 * extension's `@throttle`): a burst of refresh requests costs two runs, and
 * every caller gets a result at least as new as its call.
 */
export function throttle<T>(fn: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  let next: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const run = fn().finally(() => {
      if (current === run) current = undefined;
    });
    current = run;
    return run;
  };
  return () => {
    if (!current) return start();
    next ??= current
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
}

/** Calls of the returned function run one after another, in call order; a failure does not stop the next. */
export function sequentialize<A extends unknown[], T>(fn: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (...args: A) => {
    const result = tail.then(() => fn(...args));
    tail = result.catch(() => undefined);
    return result;
  };
}

/**
 * Waits for every one of `values` (none is left running), then gives their
 * results, or throws the failure of the first that failed in the order given:
 * reads run at once but fail as if they had run one after another.
 */
export async function allInOrder<T extends readonly unknown[] | []>(
  values: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = (await Promise.allSettled(values)) as Array<PromiseSettledResult<unknown>>;
  const results: unknown[] = [];
  for (const result of settled) {
    if (result.status === 'rejected') throw result.reason;
    results.push(result.value);
  }
  return results as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/**
 * `fn` of each item, in order, `size` items per turn of the event loop: the
 * first `size` now, then each next `size` after a `setImmediate`, so that
 * per-item work over hundreds of items (a few file checks each) never holds
 * the event loop for long — timers, input and the editor's messages run
 * between the parts.
 */
export async function mapInTurns<T, R>(
  items: readonly T[],
  size: number,
  fn: (item: T, index: number) => R,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % size === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    results.push(fn(items[i], i));
  }
  return results;
}

/** The lifecycle operations of one repository: one at a time, in the order they were queued. */
export class OperationQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly names: string[] = [];

  /** Runs `fn` after every operation queued before it has ended (failed or not). */
  run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.names.push(name);
    const result = this.tail.then(() => fn()).finally(() => this.names.shift());
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** The name of the running operation, if any. */
  get current(): string | undefined {
    return this.names[0];
  }

  /** Operations running or waiting. */
  get size(): number {
    return this.names.length;
  }

  /** Resolves when every operation queued so far has ended. */
  async idle(): Promise<void> {
    await this.tail;
  }
}

/** Runs a task now, or when a slot is free (see `limitConcurrency`). */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** No limit: every task runs at once. */
export const unlimited: Limiter = (task) => task();

/**
 * At most `slots` of the tasks given to the returned function run at once;
 * the others wait, in the order they came (a background read that must leave
 * the machine's cores to the person working).
 */
export function limitConcurrency(slots: number): Limiter {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      // A waiting task takes the slot over (running stays the same); otherwise it is freed.
      if (waiting.length > 0) waiting.shift()?.();
      else running--;
    }
  };
}
