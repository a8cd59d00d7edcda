/**
 * What a finished check shows on the pull request, within GitHub's limits: a summary table
 * (notebook, verdict, duration, failing cell) with skipped notebooks and their reasons, a
 * details section with each failure's cell source and traceback, a failure annotation on each
 * failing notebook and a warning annotation on each notebook committed with outputs. Summary
 * and text are each at most 65,535 characters; annotations are sent 50 per request.
 * @module
 */
import { formatMs } from "../../errors.js";
import type { CheckAnnotation } from "../../clients/github.js";
import type { Execution } from "../../models/execution.js";
import type { CheckConclusion, CheckedNotebook, CheckResult } from "../../models/github.js";
import type { CheckPlan } from "./check-plan.js";

/** GitHub's limit of `output.summary` and `output.text`. */
export const MAX_OUTPUT_CHARS = 65_535;
/** GitHub's limit of annotations per create/update request. */
export const ANNOTATIONS_PER_REQUEST = 50;
const MAX_SOURCE_CHARS = 4_000;
const MAX_TRACEBACK_CHARS = 8_000;
const MAX_ANNOTATION_CHARS = 4_000;

/** The rendered output of a completed check. */
export interface CheckOutput {
  conclusion: CheckConclusion;
  title: string;
  summary: string;
  text: string;
  annotations: CheckAnnotation[];
}

/** The stored result of a check from its plan and the records of the run. */
export function checkResult(commit: string | null, plan: CheckPlan, records: ReadonlyMap<string, Execution>): CheckResult {
  const setupFailure = [...records.entries()].find(([k]) => k.startsWith("("))?.[1];
  const notebooks: CheckedNotebook[] = plan.run.map((path) => {
    const r = records.get(path);
    if (!r) return row(path, "failure", { reason: setupFailure?.error ? `not run: ${setupFailure.error.phase}: ${setupFailure.error.message}` : "not run" });
    const e = r.error;
    return row(path, r.result, {
      duration_ms: r.notebook?.cells.reduce((s, c) => s + c.duration_ms, 0) ?? r.duration_ms,
      cell_number: e?.cell_number ?? null,
      reason: r.result === "skipped" ? r.note : e ? `${e.phase}: ${e.message}` : null,
      exception: e?.exception ?? null,
      cell_source: e?.code ?? null,
      traceback: e?.traceback ?? e?.output_tail ?? null,
      execution_id: r.id,
    });
  });
  for (const s of plan.skipped) notebooks.push(row(s.path, "skipped", { reason: s.reason }));
  return { commit, notebooks, with_outputs: plan.withOutputs, error: null };
}

function row(path: string, verdict: CheckedNotebook["verdict"], f: Partial<CheckedNotebook>): CheckedNotebook {
  return { path, verdict, duration_ms: null, cell_number: null, reason: null, exception: null, cell_source: null, traceback: null, execution_id: null, ...f };
}

/** Render a result for GitHub (bounded). `environment` is the hub's name. */
export function renderCheck(result: CheckResult, environment: string): CheckOutput {
  const failed = result.notebooks.filter((n) => n.verdict === "failure");
  const passed = result.notebooks.filter((n) => n.verdict === "success");
  const skipped = result.notebooks.filter((n) => n.verdict === "skipped");
  const commit = result.commit ? ` at \`${result.commit.slice(0, 12)}\`` : "";
  if (result.error) {
    const summary = bound(`Troop could not run the notebooks${commit} on ${environment}:\n\n${fence(result.error, "")}`, MAX_OUTPUT_CHARS);
    return { conclusion: "failure", title: "Troop could not run the check", summary, text: "", annotations: [] };
  }
  const conclusion: CheckConclusion = failed.length ? "failure" : "success";
  const title =
    result.notebooks.length === 0
      ? "No notebook changed"
      : passed.length + failed.length === 0
        ? `No notebook ran: ${skipped.length} skipped`
        : failed.length
        ? `${failed.length} of ${passed.length + failed.length} notebook${passed.length + failed.length === 1 ? "" : "s"} failed`
        : `${passed.length} notebook${passed.length === 1 ? "" : "s"} passed${skipped.length ? `, ${skipped.length} skipped` : ""}`;
  const head = `**${passed.length} passed, ${failed.length} failed, ${skipped.length} skipped**${commit} on ${environment}.\n\n`;
  const tail: string[] = [];
  if (skipped.length) tail.push(`### Skipped\n\n${skipped.map((n) => `- \`${n.path}\`: ${oneLine(n.reason ?? "skipped")}`).join("\n")}`);
  if (result.with_outputs.length) tail.push(`### Committed with outputs\n\n${result.with_outputs.map((p) => `- \`${p}\``).join("\n")}\n\nClear them with \`troop notebooks clean\` before committing.`);
  const table = boundedTable(
    ["| Notebook | Verdict | Duration | Failing cell |", "|---|---|---|---|"],
    result.notebooks.filter((n) => n.verdict !== "skipped").map((n) => `| \`${cell(n.path)}\` | ${n.verdict === "success" ? "✅ success" : "❌ failure"} | ${n.duration_ms === null ? "–" : formatMs(n.duration_ms)} | ${n.cell_number ?? (n.verdict === "failure" ? cell(oneLine(n.reason ?? "–")).slice(0, 120) : "–")} |`),
    MAX_OUTPUT_CHARS - head.length - 2_000,
  );
  const summary = bound(`${head}${result.notebooks.length ? table : "The pull request adds or changes no notebook that runs."}\n\n${tail.join("\n\n")}`, MAX_OUTPUT_CHARS);
  const text = bound(failed.map(details).join("\n\n"), MAX_OUTPUT_CHARS, (omitted) => `\n\n… ${omitted} more characters of failure details not shown; see the executions in Troop.`);
  const annotations: CheckAnnotation[] = [
    ...failed.map(
      (n): CheckAnnotation => ({
        path: n.path,
        start_line: 1,
        end_line: 1,
        annotation_level: "failure",
        title: n.cell_number ? `Cell ${n.cell_number} failed${n.exception ? `: ${n.exception}` : ""}` : "Notebook failed",
        message: bound([n.reason, n.traceback ? lastChars(n.traceback, MAX_ANNOTATION_CHARS / 2) : null].filter(Boolean).join("\n\n"), MAX_ANNOTATION_CHARS),
      }),
    ),
    ...result.with_outputs.map(
      (path): CheckAnnotation => ({ path, start_line: 1, end_line: 1, annotation_level: "warning", title: "Outputs committed", message: "This notebook is committed with outputs or execution counts; clear them (troop notebooks clean) before committing." }),
    ),
  ];
  return { conclusion, title, summary, text, annotations };
}

/**
 * The output of a check Troop gave up on after failing inside itself `attempts` times (a
 * storage or GitHub error, a bug): `failure`, like a check that could not run, so that a
 * required check never passes unverified; the summary says it is not the pull request's fault.
 */
export function internalFailureOutput(reason: string, attempts: number, environment: string): CheckOutput {
  const summary = bound(
    `Troop failed internally while checking this commit on ${environment}, ${attempts} time${attempts === 1 ? "" : "s"}; this is not a problem of the pull request. Use *Re-run* once Troop works again (its operators see the error in its log).\n\n${fence(reason, "")}`,
    MAX_OUTPUT_CHARS,
  );
  return { conclusion: "failure", title: "Troop failed internally", summary, text: "", annotations: [] };
}

/**
 * The output of a pull request from a fork that is not run (`github.forkPullRequests: skip`):
 * `neutral`, as nothing was verified nor found wrong.
 */
export function forkSkippedOutput(environment: string): CheckOutput {
  const summary = [
    `The notebooks of this pull request were not run on ${environment}: it comes from a fork, and running them would run an outsider's code as Troop's CI bot user, with its token and scopes.`,
    "A maintainer can push the branch to this repository and open the pull request from there, or the operators of Troop can run pull requests from forks with `github.forkPullRequests: run`.",
  ].join("\n\n");
  return { conclusion: "neutral", title: "Not run: pull request from a fork", summary, text: "", annotations: [] };
}

/** Annotations in batches GitHub accepts. */
export function annotationBatches(annotations: readonly CheckAnnotation[]): CheckAnnotation[][] {
  const out: CheckAnnotation[][] = [];
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) out.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  return out;
}

function details(n: CheckedNotebook): string {
  const parts = [`### \`${n.path}\`${n.cell_number ? `, cell ${n.cell_number}` : ""}`, `**${n.reason ?? "failed"}**`];
  if (n.cell_source) parts.push(`Cell ${n.cell_number ?? ""} source:\n\n${fence(bound(n.cell_source, MAX_SOURCE_CHARS), "python")}`);
  if (n.traceback) parts.push(`Traceback:\n\n${fence(lastChars(n.traceback, MAX_TRACEBACK_CHARS), "")}`);
  return parts.join("\n\n");
}

/** `text` cut to `max` characters with a note of what was left out. */
export function bound(text: string, max: number, note: (omitted: number) => string = (n) => `\n… (${n} more characters)`): string {
  if (text.length <= max) return text;
  let keep = max - note(text.length).length;
  if (/[\uD800-\uDBFF]/.test(text.charAt(keep - 1))) keep--; // never split a surrogate pair
  return text.slice(0, keep) + note(text.length - keep);
}

/** The last `max` characters (a traceback's end says most). */
function lastChars(text: string, max: number): string {
  return text.length <= max ? text : `… (${text.length - max} characters before)\n${text.slice(text.length - max)}`;
}

/** A fenced code block whose fence is longer than any backtick run inside. */
function fence(text: string, lang: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = "`".repeat(longest + 1);
  return `${f}${lang}\n${text}\n${f}`;
}

function boundedTable(head: string[], rows: string[], max: number): string {
  const out = [...head];
  let length = head.join("\n").length;
  for (let i = 0; i < rows.length; i++) {
    if (length + rows[i]!.length + 1 > max) {
      out.push(`| … ${rows.length - i} more | | | |`);
      break;
    }
    out.push(rows[i]!);
    length += rows[i]!.length + 1;
  }
  return out.join("\n");
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/`/g, "'");
