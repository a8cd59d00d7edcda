/**
 * GitHub's REST API as one narrow client for a GitHub App (Octokit): an installation token
 * (minted from the app's JWT), check runs created and updated, and the files a pull request
 * or a comparison of two commits changes. The base URL is configurable (GitHub Enterprise
 * Server, or a fake in tests). Every token minted is handed to `onSecret` before use, and
 * errors are converted here to {@link GitHubError}, whose message carries no credential.
 * @module
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";

/** A GitHub API call failed; `status` is the HTTP status (0: no answer). */
export class GitHubError extends Error {
  override readonly name = "GitHubError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A file a pull request or a comparison changes. */
export interface ChangedFile {
  filename: string;
  status: string;
  previous_filename?: string | undefined;
}

/** Where a check run is. */
export interface RepoRef {
  installationId: number;
  owner: string;
  repo: string;
}

/** Fields of a check-run update (GitHub's names). */
export interface CheckRunUpdate {
  status?: "queued" | "in_progress" | "completed";
  conclusion?: "success" | "failure" | "neutral" | "cancelled";
  started_at?: string;
  completed_at?: string;
  output?: { title: string; summary: string; text?: string; annotations?: CheckAnnotation[] };
}

/** One annotation of a check run (GitHub takes at most 50 per request). */
export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  title?: string;
  message: string;
  raw_details?: string;
}

export interface GitHubClientOptions {
  appId: number;
  /** PEM; `\n` written as two characters (as in some environment files) is accepted. */
  privateKey: string;
  /** REST API base URL, e.g. https://api.github.com. */
  apiUrl: string;
  userAgent: string;
  /** Receives every installation token before it is used. */
  onSecret(secret: string): void;
  /** Warnings of the Octokit library (never contain a token). */
  warn?(message: string): void;
}

/** Most files listed for one pull request (GitHub's own limit is 3000). */
const MAX_FILES = 3000;

export class GitHubClient {
  private readonly clients = new Map<number, Octokit>();
  private readonly privateKey: string;

  constructor(private readonly opts: GitHubClientOptions) {
    this.privateKey = opts.privateKey.includes("\\n") && !opts.privateKey.includes("\n") ? opts.privateKey.replace(/\\n/g, "\n") : opts.privateKey;
    opts.onSecret(this.privateKey);
  }

  /** A token of the installation (cached by Octokit until shortly before it expires). */
  async installationToken(installationId: number): Promise<string> {
    return this.call("POST /app/installations/{id}/access_tokens", async () => {
      const auth = (await this.octokit(installationId).auth({ type: "installation" })) as { token: string };
      this.opts.onSecret(auth.token);
      return auth.token;
    });
  }

  /** Create a check run at `headSha`; returns its id. */
  async createCheckRun(r: RepoRef, body: { name: string; headSha: string; externalId: string; detailsUrl?: string | undefined }): Promise<number> {
    await this.installationToken(r.installationId);
    return this.call("POST /repos/{owner}/{repo}/check-runs", async () => {
      const res = await this.octokit(r.installationId).rest.checks.create({
        owner: r.owner,
        repo: r.repo,
        name: body.name,
        head_sha: body.headSha,
        external_id: body.externalId,
        status: "queued",
        ...(body.detailsUrl ? { details_url: body.detailsUrl } : {}),
      });
      return res.data.id;
    });
  }

  /** Update a check run (status, conclusion, output with at most 50 annotations). */
  async updateCheckRun(r: RepoRef, checkRunId: number, update: CheckRunUpdate): Promise<void> {
    if ((update.output?.annotations?.length ?? 0) > 50) throw new Error("at most 50 annotations per check-run update");
    await this.installationToken(r.installationId);
    await this.call("PATCH /repos/{owner}/{repo}/check-runs/{id}", () => this.octokit(r.installationId).rest.checks.update({ owner: r.owner, repo: r.repo, check_run_id: checkRunId, ...update }));
  }

  /** Files a pull request changes (all pages, at most 3000). */
  async pullRequestFiles(r: RepoRef, pullNumber: number): Promise<ChangedFile[]> {
    await this.installationToken(r.installationId);
    return this.call("GET /repos/{owner}/{repo}/pulls/{n}/files", async () => {
      const octokit = this.octokit(r.installationId);
      const files: ChangedFile[] = [];
      for await (const page of octokit.paginate.iterator(octokit.rest.pulls.listFiles, { owner: r.owner, repo: r.repo, pull_number: pullNumber, per_page: 100 })) {
        for (const f of page.data) files.push({ filename: f.filename, status: f.status, previous_filename: f.previous_filename });
        if (files.length >= MAX_FILES) break;
      }
      return files;
    });
  }

  /** Files changed between two commits. */
  async compareFiles(r: RepoRef, base: string, head: string): Promise<ChangedFile[]> {
    await this.installationToken(r.installationId);
    return this.call("GET /repos/{owner}/{repo}/compare/{basehead}", async () => {
      const res = await this.octokit(r.installationId).rest.repos.compareCommitsWithBasehead({ owner: r.owner, repo: r.repo, basehead: `${base}...${head}` });
      return (res.data.files ?? []).map((f) => ({ filename: f.filename, status: f.status, previous_filename: f.previous_filename }));
    });
  }

  private octokit(installationId: number): Octokit {
    let client = this.clients.get(installationId);
    if (!client) {
      const warn = (msg: string) => this.opts.warn?.(msg);
      client = new Octokit({
        baseUrl: this.opts.apiUrl.replace(/\/+$/, ""),
        userAgent: this.opts.userAgent,
        authStrategy: createAppAuth,
        auth: { appId: this.opts.appId, privateKey: this.privateKey, installationId },
        log: { debug: () => undefined, info: () => undefined, warn, error: warn },
      });
      this.clients.set(installationId, client);
    }
    return client;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof GitHubError) throw err;
      const status = typeof (err as { status?: unknown }).status === "number" ? (err as { status: number }).status : 0;
      const detail = (err as Error).message?.split("\n")[0]?.slice(0, 300) ?? String(err);
      throw new GitHubError(`GitHub ${what} ${status ? `returned ${status}` : "failed"}: ${detail}`, status);
    }
  }
}
