// Histories as JSON fixtures. The SDK's historyFromJSON trips over two nested
// copies of protobufjs in this install, so fixtures use the generated
// message class's own toObject/fromObject, which round-trip exactly.
import { temporal } from '@temporalio/proto';

const History = temporal.api.history.v1.History;
type History = temporal.api.history.v1.History;

export function historyToFixture(history: temporal.api.history.v1.IHistory): Record<string, unknown> {
  return History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String });
}

export function historyFromFixture(json: Record<string, unknown>): History {
  return History.fromObject(json);
}
