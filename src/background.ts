import { log } from "./log.ts";

/** Work that goes on after a request was answered (a run's outcome, a bulk re-run): tracked so shutdown can wait for it. */
export class BackgroundTasks {
  private pending = new Set<Promise<unknown>>();

  /** Runs `work` in the background; its failure is logged, never thrown. */
  track(name: string, work: () => Promise<unknown>): void {
    const promise = work().catch((error: unknown) => log.error({ err: error, task: name }, "background task failed"));
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  /** Runs `work` now and returns its result, while shutdown waits for it like any tracked task (a request being answered, a job firing). */
  hold<T>(work: () => Promise<T>): Promise<T> {
    const promise = work();
    const settled = promise.catch(() => undefined);
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    return promise;
  }

  /** How many tasks are still running. */
  get size(): number {
    return this.pending.size;
  }

  /** Waits until every task has finished, or `timeoutMs` has passed; true when all finished. */
  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.pending]), new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
    return true;
  }
}
