import { compareEvents, type Event } from "./event.js";

/** Where events persist. Saving is idempotent by event id; loads are sorted by clock, then node. */
export interface EventStore {
  /** Saves an event unless its id is already stored; true when it was saved. */
  saveEvent(event: Event): Promise<boolean>;
  /** The events of one aggregate, sorted by `(lamport_clock, node_id)`. */
  loadEvents(aggregateId: string): Promise<Event[]>;
  /** Every event, sorted by `(lamport_clock, node_id)`. */
  loadAllEvents(): Promise<Event[]>;
}

/** An event store in memory, for tests and for composing results. */
export class InMemoryEventStore implements EventStore {
  readonly #events = new Map<string, Event>();

  async saveEvent(event: Event): Promise<boolean> {
    if (this.#events.has(event.event_id)) return false;
    this.#events.set(event.event_id, event);
    return true;
  }

  async loadEvents(aggregateId: string): Promise<Event[]> {
    return [...this.#events.values()]
      .filter((e) => e.aggregate_id === aggregateId)
      .sort(compareEvents);
  }

  async loadAllEvents(): Promise<Event[]> {
    return [...this.#events.values()].sort(compareEvents);
  }
}
