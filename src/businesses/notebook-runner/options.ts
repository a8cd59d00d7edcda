/**
 * Options of the notebook runners (mobu's `NotebookRunnerOptions`), plus Troop's per-cell and
 * per-notebook time limits. A `repo_url` with credentials in it is refused: the flock's config
 * is stored and shown to every reader, so git gets its credentials from Troop's environment.
 * @module
 */
import { z } from "zod";
import { duration } from "../../config/duration.js";
import { labOptionsShape } from "../jupyter-lab/options.js";

/** One rule of `collection_rules` (flock options and the repository's `mobu.yaml`). */
export const collectionRuleSchema = z.strictObject({
  type: z.enum(["intersect_union_of", "exclude_union_of"]).meta({ description: "intersect_union_of: keep only notebooks matched by a pattern; exclude_union_of: drop them" }),
  patterns: z.array(z.string()).min(1).meta({ description: "pathlib glob patterns relative to the repository root", examples: [["tutorials/**"]] }),
});
export type CollectionRule = z.output<typeof collectionRuleSchema>;

const SSH_SCHEMES = /^(?:ssh|git\+ssh|ssh\+git):$/i;

/**
 * What credentials a git URL carries: `password` (a `user:pass@`), `user` (a `user@` that is a
 * secret outside ssh, e.g. `https://ghp_…@github.com/…`), or null. ssh's user name is no secret:
 * `git@github.com:org/repo.git` and `ssh://git@host/repo` carry none. Nothing is decoded, so
 * a percent-encoded `@` or `:` counts as itself.
 */
export function urlCredentials(raw: string): "password" | "user" | null {
  const url = raw.trim();
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url)?.[1];
  if (scheme !== undefined) {
    const authority = url.slice(scheme.length + 2).split(/[/?#]/, 1)[0]!;
    const at = authority.lastIndexOf("@");
    if (at < 0) return null;
    if (authority.slice(0, at).includes(":")) return "password";
    return SSH_SCHEMES.test(scheme) ? null : "user";
  }
  // scp-like `[user@]host:path` (git's rule: a colon before any slash); `user:pass@host:path` has a password
  const head = url.split("/", 1)[0]!;
  const at = head.indexOf("@");
  return head.includes(":") && at >= 0 && head.slice(0, at).includes(":") ? "password" : null;
}

const CREDENTIALS_HELP =
  "give git its credentials through Troop's environment instead: GIT_CONFIG_COUNT=1, GIT_CONFIG_KEY_0=http.https://github.com/.extraHeader, GIT_CONFIG_VALUE_0='Authorization: Basic <base64 of user:token>' (or a credential.helper), or an ssh key in ~/.ssh or ssh-agent (docs/notebooks.md, private repositories)";

/** A git URL without credentials in it. */
export const repoUrlSchema = z.string().superRefine((url, ctx) => {
  const found = urlCredentials(url);
  if (found === "password") ctx.addIssue({ code: "custom", message: `must not contain a password (user:password@): it would be stored and shown with the flock; ${CREDENTIALS_HELP}` });
  else if (found === "user") ctx.addIssue({ code: "custom", message: `must not contain a user or token before "@" (only ssh URLs may name a user): it would be stored and shown with the flock; ${CREDENTIALS_HELP}` });
});

const runnerShape = {
  ...labOptionsShape,
  repo_url: repoUrlSchema.default("https://github.com/lsst-sqre/notebook-demo.git").meta({ description: "Git repository of notebooks, without credentials (git gets them from Troop's environment)" }),
  repo_ref: z.string().default("prod").meta({ description: "Branch, tag or commit" }),
  notebook_idle_time: duration("Pause between notebooks").default(0),
  collection_rules: z.array(collectionRuleSchema).default([]).meta({ description: "Which notebooks run" }),
  exclude_dirs: z.array(z.string()).default([]).meta({ description: "Deprecated: folders whose notebooks never run" }),
  cell_timeout: duration("Limit for one cell (the kernel is interrupted)").default(300_000),
  notebook_timeout: duration("Limit for one notebook (the kernel is interrupted)").default(3_600_000),
};

export const notebookRunnerCountingOptionsSchema = z.strictObject({
  ...runnerShape,
  max_executions: z.number().int().min(1).default(25).meta({ description: "Notebooks run per lab (cycling through the selection); then, with delete_lab, the lab is deleted" }),
});
export const notebookRunnerListOptionsSchema = z.strictObject(runnerShape);
export const notebookRunnerInfiniteOptionsSchema = z.strictObject(runnerShape);

export type NotebookRunnerCountingOptions = z.output<typeof notebookRunnerCountingOptionsSchema>;
/** Options every notebook runner has (Counting adds `max_executions`). */
export type NotebookRunnerOptions = z.output<typeof notebookRunnerListOptionsSchema> & { max_executions?: number };
