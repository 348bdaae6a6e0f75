// The X-GitHub-Delivery ids already accepted, so a redelivered (or replayed) event is processed once. Bounded:
// the oldest ids are forgotten first; GitHub redelivers only recent deliveries, and a forgotten one that comes
// back is re-evaluated, which the gate makes harmless (an unchanged decision writes nothing).
export class SeenDeliveries {
  private readonly ids = new Set<string>();

  constructor(readonly capacity = 10_000) {}

  /** Record `id`; false when it was seen before. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  get size(): number {
    return this.ids.size;
  }
}
