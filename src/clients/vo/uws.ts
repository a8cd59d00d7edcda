/**
 * The parts of an IVOA UWS 1.x job document (`GET {job}`) an async TAP client needs: phase,
 * result links and the error summary. Parsed with `saxes`; the document is small (read
 * bounded).
 * @module
 */
import { SaxesParser } from "saxes";
import { z } from "zod";
import { VoProtocolError } from "./votable.js";

/** UWS execution phases (UWS 1.1 §2.1.3). */
export const uwsPhaseSchema = z.enum(["PENDING", "QUEUED", "EXECUTING", "COMPLETED", "ERROR", "ABORTED", "UNKNOWN", "HELD", "SUSPENDED", "ARCHIVED"]);
export type UwsPhase = z.output<typeof uwsPhaseSchema>;

/** Phases after which a job does not change any more. */
export const FINAL_PHASES: ReadonlySet<UwsPhase> = new Set(["COMPLETED", "ERROR", "ABORTED", "ARCHIVED"]);
/** Phases of a job that waits for its turn (queue wait). */
export const WAITING_PHASES: ReadonlySet<UwsPhase> = new Set(["PENDING", "QUEUED", "HELD"]);

/** What the client reads from a job document. */
export interface UwsJob {
  jobId: string | null;
  phase: UwsPhase;
  /** Result links by id (`result` is the TAP one), absolute or as given. */
  results: { id: string; href: string }[];
  /** `errorSummary/message`, if any. */
  error: string | null;
}

function local(name: string): string {
  const i = name.indexOf(":");
  return i < 0 ? name : name.slice(i + 1);
}

/** Parse a phase as UWS prints it (`GET {job}/phase` answers with the bare word). */
export function parsePhase(text: string): UwsPhase {
  const word = text.trim().toUpperCase();
  const parsed = uwsPhaseSchema.safeParse(word);
  if (!parsed.success) throw new VoProtocolError(`not a UWS phase: ${JSON.stringify(word.slice(0, 40))}`);
  return parsed.data;
}

/** Parse a UWS job document. Throws on malformed XML or a missing phase. */
export function parseJob(xml: string): UwsJob {
  const parser = new SaxesParser({ xmlns: false, position: false });
  const job: UwsJob = { jobId: null, phase: "UNKNOWN", results: [], error: null };
  let collecting: "jobId" | "phase" | "message" | null = null;
  let text = "";
  let sawPhase = false;
  let inErrorSummary = false;
  parser.on("opentag", (tag) => {
    const name = local(tag.name);
    if (name === "jobId" || name === "phase" || (name === "message" && inErrorSummary)) {
      collecting = name;
      text = "";
    } else if (name === "errorSummary") inErrorSummary = true;
    else if (name === "result") {
      const attrs = tag.attributes as Record<string, string>;
      const href = attrs["xlink:href"] ?? Object.entries(attrs).find(([k]) => local(k) === "href")?.[1];
      if (href) job.results.push({ id: attrs["id"] ?? "", href });
    }
  });
  parser.on("text", (t) => {
    if (collecting) text += t;
  });
  parser.on("closetag", (tag) => {
    const name = local(tag.name);
    if (name === "errorSummary") inErrorSummary = false;
    if (collecting !== name) return;
    if (name === "jobId") job.jobId = text.trim();
    else if (name === "phase") {
      job.phase = parsePhase(text);
      sawPhase = true;
    } else job.error = text.trim() || null;
    collecting = null;
  });
  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof VoProtocolError) throw err;
    throw new VoProtocolError(`malformed UWS job document: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!sawPhase) throw new VoProtocolError("not a UWS job document: no phase");
  return job;
}
