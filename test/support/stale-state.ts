/**
 * Temp state dirs of local peers (hub, TAP) carry the pid of the test process that made them in
 * `owner.pid`. A dir whose owner is gone (a killed earlier run) is stopped with the peer's own
 * stop script and removed; dirs of live runs (another terminal) are left alone.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function sweepStale(prefix: string, stopAndRemove: (dir: string) => Promise<unknown>): Promise<void> {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(prefix))) {
    const dir = join(tmpdir(), name);
    const ownerFile = join(dir, "owner.pid");
    if (!existsSync(ownerFile)) continue;
    const owner = Number(readFileSync(ownerFile, "utf8"));
    if (owner && existsSync(`/proc/${owner}`)) continue;
    await stopAndRemove(dir).catch(() => rmSync(dir, { recursive: true, force: true }));
  }
}
