/**
 * JUnit XML for `troop run-notebooks --junit`: one `<testsuite>` with one `<testcase>` per
 * notebook that was selected (name: its repository-relative path). A failing notebook has a
 * `<failure>` (cell number and error in `message`, the traceback in the body); a failure
 * before any cell could run (spawn, session, unreadable notebook) is an `<error>`; a notebook
 * skipped for a missing application has `<skipped>`. Excluded notebooks do not appear.
 * @module
 */
import type { Execution } from "../models/execution.js";

/** One notebook's outcome, as the report shows it. */
export interface NotebookOutcome {
  path: string;
  record: Execution;
}

/** Escape text for an XML attribute or text node (and drop characters XML 1.0 forbids). */
export function xmlEscape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** The whole JUnit document. */
export function junitXml(outcomes: readonly NotebookOutcome[], suite: { name: string; hostname: string; timestamp: string; source: string; commit: string | null }): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const failures = outcomes.filter((o) => o.record.result === "failure" && o.record.error?.cell_number !== null).length;
  const errors = outcomes.filter((o) => o.record.result === "failure" && o.record.error?.cell_number === null).length;
  const skipped = outcomes.filter((o) => o.record.result === "skipped").length;
  const total = outcomes.reduce((t, o) => t + o.record.duration_ms, 0);
  const classname = xmlEscape(suite.name);
  const cases = outcomes.map(({ path, record: r }) => {
    const open = `  <testcase name="${xmlEscape(path)}" classname="${classname}" time="${seconds(r.duration_ms)}"`;
    if (r.result === "success") return `${open}/>`;
    if (r.result === "skipped") return `${open}>\n    <skipped message="${xmlEscape(r.note ?? "skipped")}"/>\n  </testcase>`;
    const e = r.error!;
    const tag = e.cell_number === null ? "error" : "failure";
    const body = [e.traceback ?? "", e.output_tail ? `--- output (tail) ---\n${e.output_tail}` : "", e.code ? `--- cell source ---\n${e.code}` : ""].filter(Boolean).join("\n");
    return `${open}>\n    <${tag} message="${xmlEscape(e.message)}" type="${xmlEscape(e.failure_class)}">${xmlEscape(body)}</${tag}>\n  </testcase>`;
  });
  const props = [`    <property name="source" value="${xmlEscape(suite.source)}"/>`, ...(suite.commit ? [`    <property name="commit" value="${xmlEscape(suite.commit)}"/>`] : [])];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="troop run-notebooks" tests="${outcomes.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(total)}">`,
    `<testsuite name="${classname}" tests="${outcomes.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(total)}" timestamp="${suite.timestamp}" hostname="${xmlEscape(suite.hostname)}">`,
    "  <properties>",
    ...props,
    "  </properties>",
    ...cases,
    "</testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
