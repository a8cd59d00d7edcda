/**
 * Artifacts: files a business keeps for operators, today the executed notebook of each
 * notebook run (outputs up to the failing cell). Stored as `<dataDir>/artifacts/<id>.ipynb`;
 * ids are time-ordered, so the oldest files are pruned first once there are more than
 * `maxFiles`.
 * @module
 */
import { mkdirSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Where a business puts an artifact; returns its id (null when it was not kept). */
export interface ArtifactSink {
  /** `name` is where the artifact came from (a notebook's repository-relative path). */
  save(content: string, meta: { id: string; name: string }): Promise<string | null>;
}

/**
 * A sink that scrubs an artifact before `sink` keeps it: a notebook's outputs are whatever its
 * code printed, which may be a token the process knows or one it never saw, such as the lab's
 * own (the service passes `SecretScrubber.scrubOutput`).
 */
export function scrubbedSink(sink: ArtifactSink, scrub: (text: string) => string): ArtifactSink {
  return { save: (content, meta) => sink.save(scrub(content), meta) };
}

/** Shape of an artifact id: `executionId` format (hex time, dash, hex/dash random part). */
export const ARTIFACT_ID = /^[0-9a-f]{12}-[0-9a-f-]{18}$/;

/** Artifacts on disk, bounded in number. */
export class ArtifactStore implements ArtifactSink {
  private pruning: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly maxFiles = 500,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  async save(content: string, meta: { id: string; name: string }): Promise<string> {
    if (!ARTIFACT_ID.test(meta.id)) throw new Error(`invalid artifact id ${meta.id}`);
    await writeFile(join(this.dir, `${meta.id}.ipynb`), content);
    this.pruning = this.pruning.then(() => this.prune()).catch(() => undefined);
    return meta.id;
  }

  /** The artifact's content, or null if there is none with this id (or it was pruned). */
  async read(id: string): Promise<string | null> {
    if (!ARTIFACT_ID.test(id)) return null;
    try {
      return await readFile(join(this.dir, `${id}.ipynb`), "utf8");
    } catch {
      return null;
    }
  }

  private async prune(): Promise<void> {
    const files = (await readdir(this.dir)).filter((f) => f.endsWith(".ipynb")).sort();
    for (const f of files.slice(0, Math.max(0, files.length - this.maxFiles))) await rm(join(this.dir, f), { force: true });
  }
}
