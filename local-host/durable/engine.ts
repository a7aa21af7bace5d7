import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import pLimit from "p-limit";
import { EventType, historyEvent, parseJsonText, toJsonText, type HistoryEvent } from "./historyEvents.js";
import { nextRetryDelay, type RetryOptionsWire } from "./retryPolicy.js";
import type { ActivityOutcome } from "./activityRunner.js";
import type { ReplayCost } from "./replayCost.js";
import type { InstanceStore } from "./instanceStore.js";

export type RuntimeStatus = "Pending" | "Running" | "Completed" | "ContinuedAsNew" | "Failed" | "Terminated" | "Suspended";
const TERMINAL: readonly RuntimeStatus[] = ["Completed", "Failed", "Terminated"];

export function isTerminal(status: RuntimeStatus): boolean {
  return TERMINAL.includes(status);
}

/** What the orchestrator returned for one episode: the library's OrchestratorState. */
export interface OrchestratorState {
  isDone: boolean;
  actions: unknown[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
}
/** `cost`: the replay callback's own CPU and wall time, when the invocation got that far. */
export type EpisodeResult = { state?: OrchestratorState; error?: string; stack?: string; cost?: ReplayCost };

export interface EngineDependencies {
  isOrchestrator(name: string): boolean;
  /** Runs one replay of the orchestrator function with the extension's trigger input. */
  runOrchestrator(name: string, triggerInput: object, instanceId: string): Promise<EpisodeResult>;
  /** One delivery of an activity message (faults and concurrency applied). */
  runActivity(name: string, input: unknown, instanceId: string): Promise<ActivityOutcome>;
  maxCompletionsPerReplay: number;
  maxConcurrentOrchestrations: number;
  /** ISO durations the extension passes for the Azure Storage backend. */
  maximumShortTimerDuration: string;
  longRunningTimerIntervalDuration: string;
  /** Keeps every committed change of an instance; without one, instances live in memory only. */
  store?: InstanceStore;
}

interface RetryGroup {
  kind: "activity" | "sub";
  name: string;
  input: unknown;
  instanceId?: string;
  options: RetryOptionsWire;
  /** Mirrors RetryableTask.attemptNumber in the JS library. */
  attemptNumber: number;
  firstAttemptAt: number;
  lastFailure?: HistoryEvent;
  /** The retry timeout passed: remaining attempts fail at once with the last failure. */
  expired: boolean;
}

type TaskRecord =
  | { kind: "activity"; name: string; input: unknown; group?: RetryGroup }
  | { kind: "sub"; name: string; instanceId: string; input: unknown; group?: RetryGroup }
  | { kind: "timer" }
  | { kind: "retryTimer"; group: RetryGroup };

export interface Instance {
  instanceId: string;
  name: string;
  executionId: string;
  parent?: { instanceId: string; executionId: string; taskId: number };
  createdAt: Date;
  lastUpdatedAt: Date;
  status: RuntimeStatus;
  suspended: boolean;
  /** JSON text of the current generation's input. */
  input: string | undefined;
  output: unknown;
  customStatus: unknown;
  history: HistoryEvent[];
  inbox: HistoryEvent[];
  /** Task ids handed out so far, mirroring the library's sequence number. */
  seq: number;
  /** Flattened actions already turned into work. */
  knownActions: number;
  tasks: Map<number, TaskRecord>;
  timers: Set<NodeJS.Timeout>;
  busy: boolean;
  queued: boolean;
  replays: number;
  generations: number;
  maxHistoryLength: number;
  /** Details a failed sub-orchestration hands its parent. */
  failureStack?: string;
}

export interface InstanceFilter {
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  runtimeStatus?: string[];
  instanceIdPrefix?: string;
}

export interface EngineStats {
  replays: number;
  /**
   * Sums over all replays of the CPU and wall time inside the durable-functions replay callback
   * alone (its synchronous run: the library replaying the history through the orchestrator),
   * timed right around that call (replayCost.ts). Replays never overlap on the JS thread, so the
   * sums stay within the process's CPU and the elapsed time. Not included: the invocation around
   * the callback (trigger JSON parsing, hooks, response conversion), the engine's bookkeeping.
   */
  orchestratorCpuMs: number;
  orchestratorWallMs: number;
  activitiesExecuted: number;
  maxHistoryLength: number;
  instancesByStatus: Record<string, number>;
  perInstance?: Record<string, { name: string; replays: number; historyLength: number; maxHistoryLength: number; runtimeStatus: string }>;
}

/**
 * The Durable Task side of the extension, in memory: instances, their histories and inboxes,
 * episodes driven through the JS replay engine, activities, sub-orchestrations, timers, events.
 */
export class DurableEngine {
  private readonly instances = new Map<string, Instance>();
  private readonly changes = new EventEmitter();
  private readonly orchestrationLimit: ReturnType<typeof pLimit>;
  private closed = false;
  /** Bumped when every instance is dropped from memory: completions of work started before are stale. */
  private loadEpoch = 0;
  readonly totals = { replays: 0, cpuMs: 0, wallMs: 0 };

  constructor(private readonly deps: EngineDependencies) {
    this.orchestrationLimit = pLimit(Math.max(1, deps.maxConcurrentOrchestrations));
    this.changes.setMaxListeners(0);
  }

  // ---- client operations -------------------------------------------------------------------

  startNew(name: string, options: { instanceId?: string; input?: string; parent?: Instance["parent"] } = {}): Instance {
    const instanceId = options.instanceId || randomUUID().replace(/-/g, "");
    const existing = this.instances.get(instanceId);
    if (existing && !isTerminal(existing.status)) {
      throw new ConflictError(`An orchestration instance with ID '${instanceId}' and status '${existing.status}' already exists.`);
    }
    if (existing) this.dispose(existing);
    const now = new Date();
    const instance: Instance = {
      instanceId,
      name,
      executionId: randomUUID().replace(/-/g, ""),
      parent: options.parent,
      createdAt: now,
      lastUpdatedAt: now,
      status: "Pending",
      suspended: false,
      input: options.input === "" ? undefined : options.input,
      output: null,
      customStatus: null,
      history: [],
      inbox: [],
      seq: 0,
      knownActions: 0,
      tasks: new Map(),
      timers: new Set(),
      busy: false,
      queued: false,
      replays: 0,
      generations: 0,
      maxHistoryLength: 0,
    };
    instance.inbox.push(this.executionStarted(instance, now));
    this.instances.set(instanceId, instance);
    this.schedule(instance);
    this.emitChange(instance);
    return instance;
  }

  get(instanceId: string): Instance | undefined {
    return this.instances.get(instanceId);
  }

  list(filter: InstanceFilter = {}): Instance[] {
    const statuses = filter.runtimeStatus?.map((s) => s.toLowerCase());
    return [...this.instances.values()]
      .filter((i) => !filter.createdTimeFrom || i.createdAt >= filter.createdTimeFrom)
      .filter((i) => !filter.createdTimeTo || i.createdAt <= filter.createdTimeTo)
      .filter((i) => !statuses || statuses.includes(i.status.toLowerCase()))
      .filter((i) => !filter.instanceIdPrefix || i.instanceId.startsWith(filter.instanceIdPrefix))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.instanceId.localeCompare(b.instanceId));
  }

  /** Returns false when the instance is unknown, "gone" when it already finished. */
  raiseEvent(instanceId: string, eventName: string, inputJson: string | undefined): true | false | "gone" {
    const instance = this.instances.get(instanceId);
    if (!instance) return false;
    if (isTerminal(instance.status)) return "gone";
    instance.inbox.push(historyEvent(EventType.EventRaised, { Name: eventName, Input: inputJson === "" ? undefined : inputJson }));
    // A raised event exists nowhere else, so it is kept before it is answered.
    this.persist(instance);
    this.schedule(instance);
    return true;
  }

  terminate(instanceId: string, reason: string): true | false | "gone" {
    const instance = this.instances.get(instanceId);
    if (!instance) return false;
    if (isTerminal(instance.status)) return "gone";
    const now = new Date();
    instance.history.push(historyEvent(EventType.ExecutionTerminated, { Input: reason, IsPlayed: true }, now));
    this.finish(instance, "Terminated", reason, now);
    return true;
  }

  suspend(instanceId: string, reason: string): true | false | "gone" {
    const instance = this.instances.get(instanceId);
    if (!instance) return false;
    if (isTerminal(instance.status)) return "gone";
    if (!instance.suspended) {
      instance.suspended = true;
      instance.history.push(historyEvent(EventType.ExecutionSuspended, { Reason: reason, IsPlayed: true }));
      this.touch(instance);
    }
    return true;
  }

  resume(instanceId: string, reason: string): true | false | "gone" {
    const instance = this.instances.get(instanceId);
    if (!instance) return false;
    if (isTerminal(instance.status)) return "gone";
    if (instance.suspended) {
      instance.suspended = false;
      instance.history.push(historyEvent(EventType.ExecutionResumed, { Reason: reason, IsPlayed: true }));
      this.touch(instance);
      this.schedule(instance);
    }
    return true;
  }

  purge(instanceId: string): number {
    const instance = this.instances.get(instanceId);
    if (!instance) return 0;
    this.dispose(instance);
    this.instances.delete(instanceId);
    this.deps.store?.remove(instanceId);
    return 1;
  }

  /** Purges finished instances matching the filter (all finished statuses when none is given). */
  purgeBy(filter: InstanceFilter): number {
    const matching = this.list({ ...filter, runtimeStatus: filter.runtimeStatus?.length ? filter.runtimeStatus : [...TERMINAL] });
    for (const instance of matching) this.purge(instance.instanceId);
    return matching.length;
  }

  waitFor(instanceId: string, timeoutMs = 30_000): Promise<Instance> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const instance = this.instances.get(instanceId);
        if (instance && isTerminal(instance.status)) {
          cleanup();
          resolve(instance);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        const status = this.instances.get(instanceId)?.status ?? "unknown";
        reject(new Error(`Instance ${instanceId} did not finish within ${timeoutMs} ms (status ${status})`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.changes.off("change", check);
      };
      this.changes.on("change", check);
      check();
    });
  }

  stats(activitiesExecuted: number, perInstance = false): EngineStats {
    const instancesByStatus: Record<string, number> = {};
    let maxHistoryLength = 0;
    const details: NonNullable<EngineStats["perInstance"]> = {};
    for (const instance of this.instances.values()) {
      const status = instance.suspended && !isTerminal(instance.status) ? "Suspended" : instance.status;
      instancesByStatus[status] = (instancesByStatus[status] ?? 0) + 1;
      maxHistoryLength = Math.max(maxHistoryLength, instance.maxHistoryLength, instance.history.length);
      if (perInstance) {
        details[instance.instanceId] = {
          name: instance.name,
          replays: instance.replays,
          historyLength: instance.history.length,
          maxHistoryLength: Math.max(instance.maxHistoryLength, instance.history.length),
          runtimeStatus: status,
        };
      }
    }
    return {
      replays: this.totals.replays,
      orchestratorCpuMs: this.totals.cpuMs,
      orchestratorWallMs: this.totals.wallMs,
      activitiesExecuted,
      maxHistoryLength,
      instancesByStatus,
      ...(perInstance ? { perInstance: details } : {}),
    };
  }

  close(): void {
    this.closed = true;
    for (const instance of this.instances.values()) this.clearTimers(instance);
  }

  // ---- episodes ------------------------------------------------------------------------------

  private schedule(instance: Instance): void {
    if (this.closed || instance.busy || instance.queued || instance.suspended) return;
    if (isTerminal(instance.status) || instance.inbox.length === 0) return;
    instance.queued = true;
    void this.orchestrationLimit(async () => {
      instance.queued = false;
      if (this.closed || instance.suspended || isTerminal(instance.status) || this.instances.get(instance.instanceId) !== instance) return;
      instance.busy = true;
      try {
        await this.runEpisode(instance);
      } catch (error) {
        this.failInstance(instance, `Local host error while running orchestrator '${instance.name}': ${(error as Error).stack ?? error}`, new Date());
      } finally {
        instance.busy = false;
      }
      this.schedule(instance);
    });
  }

  /**
   * Takes the next batch of new events. Events that make the library hand out a task id without
   * resuming user code (a failed retry attempt, a retry timer with attempts left) go first, so that
   * the ids the host assigns here match the ids the library assigns during the replay.
   */
  private takeBatch(instance: Instance): HistoryEvent[] {
    const batch = instance.inbox.splice(0, Math.max(1, this.deps.maxCompletionsPerReplay));
    const allocating = batch.filter((event) => this.allocatesRetryId(instance, event));
    return [...allocating, ...batch.filter((event) => !allocating.includes(event))];
  }

  private allocatesRetryId(instance: Instance, event: HistoryEvent): boolean {
    if (event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed) {
      const record = instance.tasks.get(event.TaskScheduledId as number);
      return !!record && (record.kind === "activity" || record.kind === "sub") && !!record.group;
    }
    if (event.EventType === EventType.TimerFired) {
      const record = instance.tasks.get(event.TimerId as number);
      return record?.kind === "retryTimer" && record.group.attemptNumber <= record.group.options.maxNumberOfAttempts;
    }
    return false;
  }

  private async runEpisode(instance: Instance): Promise<void> {
    const now = new Date();
    const batch = this.takeBatch(instance);
    const newEvents = [historyEvent(EventType.OrchestratorStarted, {}, now), ...batch];
    const produced: HistoryEvent[] = [];
    const work: (() => void)[] = [];

    for (const event of batch) this.applyRetryBookkeeping(instance, event, now, produced, work);

    const triggerInput = {
      history: [...instance.history, ...newEvents],
      input: instance.input === undefined ? null : parseJsonText(instance.input),
      instanceId: instance.instanceId,
      isReplaying: instance.history.length > 0,
      parentInstanceId: instance.parent?.instanceId ?? null,
      upperSchemaVersion: 2,
      maximumShortTimerDuration: this.deps.maximumShortTimerDuration,
      longRunningTimerIntervalDuration: this.deps.longRunningTimerIntervalDuration,
      defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    };
    const result = await this.deps.runOrchestrator(instance.name, triggerInput, instance.instanceId);
    this.totals.cpuMs += result.cost?.cpuMs ?? 0;
    this.totals.wallMs += result.cost?.wallMs ?? 0;
    this.totals.replays++;
    instance.replays++;
    instance.maxHistoryLength = Math.max(instance.maxHistoryLength, triggerInput.history.length);

    // The instance may have been terminated or purged while the orchestrator ran.
    if (isTerminal(instance.status) || this.instances.get(instance.instanceId) !== instance) return;

    // Everything committed now is history the next replay re-reads.
    for (const event of newEvents) event.IsPlayed = true;
    instance.history.push(...newEvents);
    if (instance.status === "Pending") instance.status = "Running";
    const state = result.state;
    if (state && state.customStatus !== undefined) instance.customStatus = state.customStatus;

    if (!state) {
      instance.history.push(...played(produced), historyEvent(EventType.OrchestratorCompleted, { IsPlayed: true }, now));
      this.failInstance(instance, result.error ?? "The orchestrator returned no state.", now, result.stack);
      return;
    }

    const actions = flattenActions(state.actions?.[0] ?? []);
    const fresh = actions.slice(instance.knownActions);
    instance.knownActions = actions.length;
    let continueAsNew: { input?: unknown } | undefined;
    let unsupported: number | undefined;
    if (result.error === undefined) {
      for (const action of fresh) {
        const outcome = this.applyAction(instance, action, now, produced, work);
        if (outcome === "continueAsNew") continueAsNew = action as { input?: unknown };
        else if (typeof outcome === "number") unsupported ??= outcome;
      }
    }
    instance.history.push(...played(produced), historyEvent(EventType.OrchestratorCompleted, { IsPlayed: true }, now));

    if (result.error !== undefined) {
      this.failInstance(instance, `Orchestrator function '${instance.name}' failed: ${result.error}`, now, result.stack);
    } else if (unsupported !== undefined) {
      this.failInstance(instance, `Orchestrator function '${instance.name}' failed: action type ${unsupported} (entities, durable HTTP) is not supported by the local host.`, now);
    } else if (continueAsNew) {
      this.continueAsNew(instance, continueAsNew.input, now);
    } else if (state.isDone) {
      this.finish(instance, "Completed", state.output === undefined ? null : state.output, now);
    } else {
      this.touch(instance, now);
      for (const start of work) start();
    }
  }

  /** Retry attempts and their timers are the extension's doing; the library only hands out ids for them. */
  private applyRetryBookkeeping(instance: Instance, event: HistoryEvent, now: Date, produced: HistoryEvent[], work: (() => void)[]): void {
    if (!this.allocatesRetryId(instance, event)) return;
    if (event.EventType === EventType.TimerFired) {
      const group = (instance.tasks.get(event.TimerId as number) as { group: RetryGroup }).group;
      const id = instance.seq++;
      if (group.kind === "activity") {
        instance.tasks.set(id, { kind: "activity", name: group.name, input: group.input, group });
        produced.push(historyEvent(EventType.TaskScheduled, { EventId: id, Name: group.name, Input: toJsonText(group.input) }, now));
        work.push(() =>
          group.expired && group.lastFailure
            ? this.deliver(instance.instanceId, instance.executionId, { ...group.lastFailure, TaskScheduledId: id, Timestamp: new Date().toISOString() })
            : this.startActivity(instance, id, group.name, group.input),
        );
      } else {
        const childId = group.instanceId ?? `${instance.instanceId}:${id.toString().padStart(4, "0")}`;
        instance.tasks.set(id, { kind: "sub", name: group.name, instanceId: childId, input: group.input, group });
        produced.push(historyEvent(EventType.SubOrchestrationInstanceCreated, { EventId: id, Name: group.name, InstanceId: childId, Input: toJsonText(group.input) }, now));
        work.push(() =>
          group.expired && group.lastFailure
            ? this.deliver(instance.instanceId, instance.executionId, { ...group.lastFailure, TaskScheduledId: id, Timestamp: new Date().toISOString() })
            : this.startChild(instance, id, group.name, childId, group.input),
        );
      }
      return;
    }
    // A failed attempt: the extension waits before the next one (also after the last one, as
    // DurableTask's RetryInterceptor does), and the library gives that timer the next task id.
    const group = (instance.tasks.get(event.TaskScheduledId as number) as { group: RetryGroup }).group;
    group.attemptNumber++;
    group.lastFailure = event;
    const delay = group.expired ? undefined : nextRetryDelay(group.options, group.attemptNumber - 2, group.firstAttemptAt, now.getTime());
    if (delay === undefined) group.expired = true;
    const timerId = instance.seq++;
    const fireAt = new Date(now.getTime() + (delay ?? 0));
    instance.tasks.set(timerId, { kind: "retryTimer", group });
    produced.push(historyEvent(EventType.TimerCreated, { EventId: timerId, FireAt: fireAt.toISOString() }, now));
    work.push(() => this.startTimer(instance, timerId, fireAt));
  }

  /** Turns one new action into history and work. Returns "continueAsNew", or the type number if unsupported. */
  private applyAction(instance: Instance, action: Action, now: Date, produced: HistoryEvent[], work: (() => void)[]): void | "continueAsNew" | number {
    switch (action.actionType) {
      case 0: // CallActivity
      case 1: {
        // CallActivityWithRetry
        const id = instance.seq++;
        const name = action.functionName as string;
        const input = decodeActionInput(action.input);
        const group = action.actionType === 1 ? this.retryGroup("activity", name, input, action, now) : undefined;
        instance.tasks.set(id, { kind: "activity", name, input, group });
        produced.push(historyEvent(EventType.TaskScheduled, { EventId: id, Name: name, Input: toJsonText(input) }, now));
        work.push(() => this.startActivity(instance, id, name, input));
        return;
      }
      case 2: // CallSubOrchestrator
      case 3: {
        // CallSubOrchestratorWithRetry
        const id = instance.seq++;
        const name = action.functionName as string;
        const input = action.input;
        const explicitId = (action.instanceId as string | undefined) || undefined;
        const childId = explicitId ?? `${instance.instanceId}:${id.toString().padStart(4, "0")}`;
        const group = action.actionType === 3 ? { ...this.retryGroup("sub", name, input, action, now), instanceId: explicitId } : undefined;
        instance.tasks.set(id, { kind: "sub", name, instanceId: childId, input, group });
        produced.push(historyEvent(EventType.SubOrchestrationInstanceCreated, { EventId: id, Name: name, InstanceId: childId, Input: toJsonText(input) }, now));
        work.push(() => this.startChild(instance, id, name, childId, input));
        return;
      }
      case 5: {
        // CreateTimer
        const id = instance.seq++;
        const fireAt = new Date(action.fireAt as string);
        instance.tasks.set(id, { kind: "timer" });
        produced.push(historyEvent(EventType.TimerCreated, { EventId: id, FireAt: fireAt.toISOString() }, now));
        work.push(() => this.startTimer(instance, id, fireAt));
        return;
      }
      case 6: // WaitForExternalEvent: events are matched by name, no task id
        return;
      case 4: // ContinueAsNew
        return "continueAsNew";
      default:
        return action.actionType as number;
    }
  }

  private retryGroup(kind: RetryGroup["kind"], name: string, input: unknown, action: Action, now: Date): RetryGroup {
    return {
      kind,
      name,
      input,
      options: action.retryOptions as RetryOptionsWire,
      attemptNumber: 1,
      firstAttemptAt: now.getTime(),
      expired: false,
    };
  }

  // ---- work ------------------------------------------------------------------------------------

  private startActivity(instance: Instance, taskId: number, name: string, input: unknown): void {
    const { instanceId, executionId } = instance;
    const loadEpoch = this.loadEpoch;
    void this.deps.runActivity(name, input, instanceId).then((outcome) => {
      if (loadEpoch !== this.loadEpoch) return;
      const event = outcome.ok
        ? historyEvent(EventType.TaskCompleted, { TaskScheduledId: taskId, Result: toJsonText(outcome.result) })
        : historyEvent(EventType.TaskFailed, { TaskScheduledId: taskId, ...failureFields(`Activity function '${name}' failed: `, outcome.error) });
      this.deliver(instanceId, executionId, event);
    });
  }

  private startChild(parent: Instance, taskId: number, name: string, childId: string, input: unknown): void {
    const link = { instanceId: parent.instanceId, executionId: parent.executionId, taskId };
    const fail = (reason: string) =>
      this.deliver(link.instanceId, link.executionId, historyEvent(EventType.SubOrchestrationInstanceFailed, { TaskScheduledId: taskId, Reason: reason, Details: reason }));
    if (!this.deps.isOrchestrator(name)) {
      fail(`The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
      return;
    }
    try {
      this.startNew(name, { instanceId: childId, input: input === undefined ? undefined : toJsonText(input), parent: link });
    } catch (error) {
      fail((error as Error).message);
    }
  }

  private startTimer(instance: Instance, timerId: number, fireAt: Date): void {
    const { instanceId, executionId } = instance;
    const arm = () => {
      const wait = fireAt.getTime() - Date.now();
      // setTimeout holds at most ~24.8 days; longer timers re-arm.
      const handle = setTimeout(() => {
        instance.timers.delete(handle);
        // Never early, as Durable's timers: setTimeout may fire a little before the wall clock reaches fireAt.
        if (Date.now() < fireAt.getTime()) return arm();
        this.deliver(instanceId, executionId, historyEvent(EventType.TimerFired, { TimerId: timerId, FireAt: fireAt.toISOString() }));
      }, Math.min(Math.max(0, wait), 2 ** 31 - 1));
      instance.timers.add(handle);
    };
    arm();
  }

  /** Adds a new event to an instance's inbox if that execution is still running. */
  private deliver(instanceId: string, executionId: string, event: HistoryEvent): void {
    const instance = this.instances.get(instanceId);
    if (!instance || instance.executionId !== executionId || isTerminal(instance.status)) return;
    instance.inbox.push(event);
    this.schedule(instance);
  }

  private continueAsNew(instance: Instance, input: unknown, now: Date): void {
    this.clearTimers(instance);
    instance.status = "ContinuedAsNew";
    this.emitChange(instance);
    instance.executionId = randomUUID().replace(/-/g, "");
    instance.generations++;
    instance.input = input === undefined ? undefined : typeof input === "string" ? input : toJsonText(input);
    instance.history = [];
    instance.seq = 0;
    instance.knownActions = 0;
    instance.tasks.clear();
    instance.output = null;
    // Events not yet delivered stay for the new generation, behind its ExecutionStarted.
    instance.inbox.unshift(this.executionStarted(instance, now));
    instance.status = "Running";
    this.touch(instance, now);
  }

  private failInstance(instance: Instance, message: string, now: Date, stack?: string): void {
    instance.history.push(historyEvent(EventType.ExecutionCompleted, { OrchestrationStatus: "Failed", Result: message, IsPlayed: true }, now));
    this.finish(instance, "Failed", message, now, stack);
  }

  private finish(instance: Instance, status: "Completed" | "Failed" | "Terminated", output: unknown, now: Date, stack?: string): void {
    if (status === "Completed") {
      instance.history.push(historyEvent(EventType.ExecutionCompleted, { OrchestrationStatus: "Completed", Result: toJsonText(output), IsPlayed: true }, now));
    }
    instance.status = status;
    instance.output = output;
    instance.failureStack = stack;
    instance.inbox = [];
    this.clearTimers(instance);
    this.touch(instance, now);
    this.notifyParent(instance);
  }

  private notifyParent(instance: Instance): void {
    const { status, output } = instance;
    const stack = instance.failureStack;
    const parent = instance.parent;
    if (parent) {
      const event =
        status === "Completed"
          ? historyEvent(EventType.SubOrchestrationInstanceCompleted, { TaskScheduledId: parent.taskId, Result: toJsonText(output) })
          : historyEvent(EventType.SubOrchestrationInstanceFailed, {
              TaskScheduledId: parent.taskId,
              Reason: status === "Terminated" ? `Orchestration '${instance.instanceId}' was terminated: ${output}` : String(output),
              Details: stack ?? String(output),
            });
      this.deliver(parent.instanceId, parent.executionId, event);
    }
  }

  private executionStarted(instance: Instance, at: Date): HistoryEvent {
    return historyEvent(
      EventType.ExecutionStarted,
      {
        Name: instance.name,
        Version: "",
        Input: instance.input,
        OrchestrationInstance: { InstanceId: instance.instanceId, ExecutionId: instance.executionId },
        ParentInstance: instance.parent
          ? { OrchestrationInstance: { InstanceId: instance.parent.instanceId, ExecutionId: instance.parent.executionId }, TaskScheduleId: instance.parent.taskId }
          : null,
      },
      at,
    );
  }

  private touch(instance: Instance, now = new Date()): void {
    instance.lastUpdatedAt = now;
    this.emitChange(instance);
  }

  private emitChange(instance: Instance): void {
    this.persist(instance);
    this.changes.emit("change", instance);
  }

  private persist(instance: Instance): void {
    if (this.deps.store && this.instances.get(instance.instanceId) === instance) this.deps.store.save(instance.instanceId, serializeInstance(instance));
  }

  // ---- restart ---------------------------------------------------------------------------------

  /**
   * Drops every instance from memory, with its timers, queued episodes and the completions of
   * activities still running: for when the storage they ran against rolled back to its last save
   * (Azurite restarted), so only what the store holds (never ahead of that save) may go on.
   * resumeFromStore() then takes it up again.
   */
  unloadAll(): void {
    this.loadEpoch++;
    for (const instance of this.instances.values()) this.dispose(instance);
    this.instances.clear();
  }

  /**
   * Loads the store's instances and sets every unfinished one going again: its inbox is replayed,
   * timers are re-armed, and work that was scheduled but whose completion never got committed
   * runs again (activities at least once, as with the Azure Storage backend).
   */
  resumeFromStore(): number {
    const store = this.deps.store;
    if (!store) return 0;
    const loaded = store.loadAll().map((state) => deserializeInstance(state as SerializedInstance));
    for (const instance of loaded) this.instances.set(instance.instanceId, instance);
    let resumed = 0;
    for (const instance of loaded) {
      if (isTerminal(instance.status)) continue;
      resumed++;
      this.restartPendingWork(instance);
      this.schedule(instance);
    }
    return resumed;
  }

  private restartPendingWork(instance: Instance): void {
    const done = new Set<number>();
    const timerFireAt = new Map<number, Date>();
    for (const event of [...instance.history, ...instance.inbox]) {
      if (typeof event.TaskScheduledId === "number") done.add(event.TaskScheduledId);
      if (event.EventType === EventType.TimerFired) done.add(event.TimerId as number);
      if (event.EventType === EventType.TimerCreated) timerFireAt.set(event.EventId as number, new Date(event.FireAt as string));
    }
    for (const [id, record] of instance.tasks) {
      if (done.has(id)) continue;
      if (record.kind === "activity") {
        if (record.group?.expired && record.group.lastFailure) {
          this.deliver(instance.instanceId, instance.executionId, { ...record.group.lastFailure, TaskScheduledId: id, Timestamp: new Date().toISOString() });
        } else this.startActivity(instance, id, record.name, record.input);
      } else if (record.kind === "sub") {
        const child = this.instances.get(record.instanceId);
        if (!child) this.startChild(instance, id, record.name, record.instanceId, record.input);
        // A child that finished just before the crash: its parent never got the news.
        else if (isTerminal(child.status) && child.parent?.executionId === instance.executionId) this.notifyParent(child);
      } else {
        this.startTimer(instance, id, timerFireAt.get(id) ?? new Date());
      }
    }
  }

  private clearTimers(instance: Instance): void {
    for (const handle of instance.timers) clearTimeout(handle);
    instance.timers.clear();
  }

  private dispose(instance: Instance): void {
    this.clearTimers(instance);
    instance.inbox = [];
  }
}

export class ConflictError extends Error {}

type Action = { actionType: number; compoundActions?: Action[]; [field: string]: unknown };

/** Task.all / Task.any nest their children; task ids follow the flattened order. */
export function flattenActions(actions: unknown[]): Action[] {
  const flat: Action[] = [];
  for (const action of actions as Action[]) {
    if ((action.actionType === 11 || action.actionType === 12) && Array.isArray(action.compoundActions)) flat.push(...flattenActions(action.compoundActions));
    else flat.push(action);
  }
  return flat;
}

/** The library JSON-encodes string inputs of activities so the extension can tell them apart. */
function decodeActionInput(input: unknown): unknown {
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

/**
 * TaskFailed fields as the extension fills them: Reason and Details. An activity error whose
 * message is the library's serialized failure details (an exception properties provider is
 * registered) also becomes FailureDetails.
 */
function failureFields(prefix: string, error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { Reason: `${prefix}${error.message}`, Details: error.stack ?? error.message };
  try {
    const parsed = JSON.parse(error.message) as Record<string, unknown>;
    if (parsed && typeof parsed.errorType === "string" && typeof parsed.errorMessage === "string") {
      fields.Reason = `${prefix}${parsed.errorMessage}`;
      fields.FailureDetails = {
        ErrorType: parsed.errorType,
        ErrorMessage: parsed.errorMessage,
        StackTrace: parsed.stackTrace,
        IsNonRetriable: parsed.isNonRetriable ?? false,
        Properties: parsed.properties,
      };
    }
  } catch {
    // An ordinary message.
  }
  return fields;
}

/** Events the host adds to a committed episode are history every later replay re-reads. */
function played(events: HistoryEvent[]): HistoryEvent[] {
  for (const event of events) event.IsPlayed = true;
  return events;
}

// ---- the stored form of an instance ------------------------------------------------------------

type StoredTask = Omit<TaskRecord, "group"> & { group?: number };
interface SerializedInstance extends Omit<Instance, "createdAt" | "lastUpdatedAt" | "tasks" | "timers" | "busy" | "queued"> {
  createdAt: string;
  lastUpdatedAt: string;
  tasks: [number, StoredTask][];
  /** A retry group is shared by its attempts' and timers' records; they point here by index. */
  groups: RetryGroup[];
}

function serializeInstance(instance: Instance): SerializedInstance {
  const groups: RetryGroup[] = [];
  const tasks: [number, StoredTask][] = [...instance.tasks].map(([id, record]) => {
    if (!("group" in record) || !record.group) return [id, record as StoredTask];
    let index = groups.indexOf(record.group);
    if (index < 0) index = groups.push(record.group) - 1;
    return [id, { ...record, group: index } as StoredTask];
  });
  const { timers: _timers, busy: _busy, queued: _queued, tasks: _tasks, ...plain } = instance;
  return { ...plain, createdAt: instance.createdAt.toISOString(), lastUpdatedAt: instance.lastUpdatedAt.toISOString(), tasks, groups };
}

function deserializeInstance(stored: SerializedInstance): Instance {
  const { groups, tasks, createdAt, lastUpdatedAt, ...plain } = stored;
  const records = new Map<number, TaskRecord>(
    tasks.map(([id, record]) => [id, (record.group === undefined ? record : { ...record, group: groups[record.group] }) as TaskRecord]),
  );
  return { ...plain, createdAt: new Date(createdAt), lastUpdatedAt: new Date(lastUpdatedAt), tasks: records, timers: new Set(), busy: false, queued: false };
}
