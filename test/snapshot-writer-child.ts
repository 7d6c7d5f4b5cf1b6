// A process that writes a board's due snapshots on PostgreSQL and says what it is doing on stdout,
// so that test/snapshots.test.ts can SIGKILL it at a known step.
// Usage: node --import tsx test/snapshot-writer-child.ts <database url> <board id> <every>

import { SnapshotWriter } from "../server/canvas/snapshots";
import { openPostgres } from "../server/canvas/storage";

const [url, boardId, every] = process.argv.slice(2);
const storage = await openPostgres(url, (err) => process.stderr.write(`idle client: ${err.message}\n`));
const writer = new SnapshotWriter(storage, {
  every: Number(every),
  onSaving: (_board, seq) => process.stdout.write(`saving ${seq}\n`),
  onSaved: (_board, seq, stored) => process.stdout.write(`saved ${seq} ${stored}\n`),
  onError: (_board, err) => process.stdout.write(`error ${err.message}\n`),
});
writer.noteSeq(boardId, await storage.currentSeq(boardId));
await writer.idle();
await storage.close();
process.stdout.write("done\n");
