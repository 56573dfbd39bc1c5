/**
 * Work a request leaves running after its response is out (e.g. the provisioning-log entry written
 * on `finish`). Shutdown waits for it before closing the database, so nothing is cut off.
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<unknown>>();

  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const done = () => this.pending.delete(work);
    work.then(done, done);
    return work;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once everything tracked so far (and anything it started meanwhile) has settled. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }
}
