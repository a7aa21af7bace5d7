import type { OrchestrationContext, Task } from "durable-functions";
import type { RetryProfile } from "./retryProfiles.js";
import { RetryProfiles } from "./retryProfiles.js";

/**
 * A durable task with the type of its result. `yield* typed` gives the result with its type
 * (the one cast from the durable library's untyped `yield` lives here); `.task` is the raw task
 * for Task.all / Task.any.
 */
export interface TypedTask<R> {
  readonly task: Task;
  [Symbol.iterator](): Generator<Task, R, unknown>;
}

export function typed<R>(task: Task): TypedTask<R> {
  return {
    task,
    *[Symbol.iterator]() {
      return (yield task) as R;
    },
  };
}

type ActivityTable = { [name: string]: (input: never) => Promise<unknown> };

export type ActivityCalls<T extends ActivityTable> = {
  readonly [K in keyof T]: (input: Parameters<T[K]>[0]) => TypedTask<Awaited<ReturnType<T[K]>>>;
};

export type ActivityPlan<T extends ActivityTable> = { readonly [K in keyof T]: { name: string; retry: RetryProfile } };

/** Temporal's `proxyActivities<typeof activities>()` for durable-functions: typed calls with their retry profile. */
export function activityProxy<T extends ActivityTable>(context: OrchestrationContext, plan: ActivityPlan<T>): ActivityCalls<T> {
  const calls: Record<string, (input: unknown) => TypedTask<unknown>> = {};
  for (const [key, { name, retry }] of Object.entries(plan)) {
    calls[key] = (input) => typed(context.df.callActivityWithRetry(name, RetryProfiles[retry](), input));
  }
  return calls as unknown as ActivityCalls<T>;
}

/** Task.all with typed results. Task.all of nothing never completes in durable-functions: callers skip empty lists. */
export function all<R>(context: OrchestrationContext, tasks: readonly TypedTask<R>[]): TypedTask<R[]> {
  return typed<R[]>(context.df.Task.all(tasks.map((t) => t.task)));
}
