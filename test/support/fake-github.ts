/**
 * Purpose: a fake GitHub REST API on 127.0.0.1 for the GitHub App integration, written from
 * GitHub's documented endpoints: installation access tokens (the app's RS256 JWT is verified
 * against the test public key), check runs (create, update; annotations appended per update,
 * at most 50 per request, output fields at most 65,535 characters), the files of a pull
 * request (paginated with a Link header) and a comparison of two commits. Every request is
 * recorded; chosen requests can be made to fail (`failRequests`, e.g. a 500 on the completing
 * PATCH of a check run). Also: an RSA test key generated at run time, and webhook deliveries signed as
 * GitHub signs them (`X-Hub-Signature-256: sha256=<HMAC-SHA256 hex of the body>`).
 */
import { createHmac, createVerify, generateKeyPairSync, randomBytes, randomUUID, type KeyObject, createPublicKey } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A changed file as GitHub lists it. */
export interface FakeFile {
  filename: string;
  status: "added" | "modified" | "removed" | "renamed";
  previous_filename?: string;
}

/** A check run as the fake keeps it. */
export interface FakeCheckRun {
  id: number;
  owner: string;
  repo: string;
  name: string;
  head_sha: string;
  external_id: string | null;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: Record<string, unknown>[];
  updates: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  auth: string | null;
  body: unknown;
  status: number;
}

/** Requests the fake answers with an error instead of serving them (the next `times` that match). */
export interface FailureRule {
  method: string;
  path: RegExp;
  /** Only requests whose JSON body this accepts (default: all). */
  when?: (body: any) => boolean;
  times: number;
  status?: number;
}

export interface FakeGitHub {
  url: string;
  appId: number;
  /** PKCS#1 PEM, as GitHub hands it out. */
  privateKey: string;
  requests: RecordedRequest[];
  checkRuns: Map<number, FakeCheckRun>;
  /** Tokens issued (to check that none leaks). */
  tokens: string[];
  setPullFiles(owner: string, repo: string, n: number, files: FakeFile[]): void;
  setCompare(owner: string, repo: string, basehead: string, files: FakeFile[]): void;
  /** Fail the next matching requests (after authentication), as GitHub does when it has an incident. */
  failRequests(rule: FailureRule): void;
  close(): Promise<void>;
}

/** An RSA key pair made for this run (never committed). */
export function testAppKey(): { privateKey: string; publicKey: KeyObject } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

const b64url = (s: string) => Buffer.from(s, "base64url");

/** Verify an app JWT: RS256, signed by `key`, `iss` the app id, not expired, at most 10 minutes long. */
export function verifyAppJwt(jwt: string, key: KeyObject, appId: number): string | null {
  const parts = jwt.split(".");
  if (parts.length !== 3) return "not a JWT";
  const [h, p, sig] = parts as [string, string, string];
  let header: { alg?: string }, payload: { iss?: unknown; iat?: number; exp?: number };
  try {
    header = JSON.parse(b64url(h).toString("utf8"));
    payload = JSON.parse(b64url(p).toString("utf8"));
  } catch {
    return "bad JWT encoding";
  }
  if (header.alg !== "RS256") return `alg ${header.alg}`;
  const ok = createVerify("RSA-SHA256").update(`${h}.${p}`).verify(key, b64url(sig));
  if (!ok) return "bad signature";
  if (String(payload.iss) !== String(appId)) return "wrong iss";
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp !== "number" || payload.exp < now) return "expired";
  if (typeof payload.iat !== "number" || payload.iat > now + 60 || payload.exp - payload.iat > 600) return "bad iat/exp";
  return null;
}

export async function startFakeGitHub(opts: { appId?: number } = {}): Promise<FakeGitHub> {
  const appId = opts.appId ?? 424242;
  const key = testAppKey();
  const requests: RecordedRequest[] = [];
  const checkRuns = new Map<number, FakeCheckRun>();
  const tokens: string[] = [];
  const pullFiles = new Map<string, FakeFile[]>();
  const compares = new Map<string, FakeFile[]>();
  let nextRun = 1000;
  const failures: FailureRule[] = [];

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
    return status;
  };
  const tokenOk = (auth: string | null) => !!auth && tokens.includes(auth.replace(/^(token|bearer)\s+/i, ""));

  async function route(req: IncomingMessage, res: ServerResponse, url: URL, body: any, auth: string | null): Promise<number> {
    const m = (re: RegExp) => re.exec(url.pathname);
    let g: RegExpExecArray | null;
    if (req.method === "POST" && (g = m(/^\/app\/installations\/(\d+)\/access_tokens$/))) {
      const jwt = auth?.replace(/^bearer\s+/i, "") ?? "";
      const problem = verifyAppJwt(jwt, key.publicKey, appId);
      if (problem) return send(res, 401, { message: `A JSON web token could not be decoded (${problem})` });
      const token = `ghs_${randomBytes(18).toString("hex")}`;
      tokens.push(token);
      return send(res, 201, { token, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { checks: "write", contents: "read", pull_requests: "read" }, repository_selection: "all" });
    }
    if (!tokenOk(auth)) return send(res, 401, { message: "Bad credentials" });
    const failure = failures.find((f) => f.times > 0 && f.method === req.method && f.path.test(url.pathname) && (f.when?.(body) ?? true));
    if (failure) {
      failure.times--;
      return send(res, failure.status ?? 500, { message: "Server Error (fake)" });
    }
    if (req.method === "POST" && (g = m(/^\/repos\/([^/]+)\/([^/]+)\/check-runs$/))) {
      if (typeof body?.name !== "string" || typeof body?.head_sha !== "string") return send(res, 422, { message: "name and head_sha are required" });
      const run: FakeCheckRun = { id: nextRun++, owner: g[1]!, repo: g[2]!, name: body.name, head_sha: body.head_sha, external_id: body.external_id ?? null, status: body.status ?? "queued", conclusion: null, started_at: null, completed_at: null, output: { title: null, summary: null, text: null }, annotations: [], updates: 0 };
      checkRuns.set(run.id, run);
      return send(res, 201, view(run));
    }
    if (req.method === "PATCH" && (g = m(/^\/repos\/([^/]+)\/([^/]+)\/check-runs\/(\d+)$/))) {
      const run = checkRuns.get(Number(g[3]));
      if (!run || run.owner !== g[1] || run.repo !== g[2]) return send(res, 404, { message: "Not Found" });
      const out = body?.output;
      if (out) {
        if (typeof out.title !== "string" || typeof out.summary !== "string") return send(res, 422, { message: "output needs title and summary" });
        if (out.summary.length > 65_535 || (out.text ?? "").length > 65_535) return send(res, 422, { message: "output too long" });
        if ((out.annotations ?? []).length > 50) return send(res, 422, { message: "at most 50 annotations" });
        run.output = { title: out.title, summary: out.summary, text: out.text ?? run.output.text };
        run.annotations.push(...(out.annotations ?? []));
      }
      for (const k of ["status", "conclusion", "started_at", "completed_at"] as const) if (body?.[k] !== undefined) run[k] = body[k];
      if (body?.conclusion) run.status = "completed";
      run.updates++;
      return send(res, 200, view(run));
    }
    if (req.method === "GET" && (g = m(/^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/files$/))) {
      const all = pullFiles.get(`${g[1]}/${g[2]}#${g[3]}`);
      if (!all) return send(res, 404, { message: "Not Found" });
      const per = Math.min(Number(url.searchParams.get("per_page") ?? 30), 100);
      const page = Number(url.searchParams.get("page") ?? 1);
      const items = all.slice((page - 1) * per, page * per).map((f) => ({ sha: "0".repeat(40), additions: 1, deletions: 0, changes: 1, ...f }));
      const last = Math.max(1, Math.ceil(all.length / per));
      const headers: Record<string, string> = {};
      if (page < last) headers["link"] = `<${base}${url.pathname}?per_page=${per}&page=${page + 1}>; rel="next", <${base}${url.pathname}?per_page=${per}&page=${last}>; rel="last"`;
      return send(res, 200, items, headers);
    }
    if (req.method === "GET" && (g = m(/^\/repos\/([^/]+)\/([^/]+)\/compare\/(.+)$/))) {
      const files = compares.get(`${g[1]}/${g[2]}:${decodeURIComponent(g[3]!)}`);
      if (!files) return send(res, 404, { message: "Not Found" });
      return send(res, 200, { status: "ahead", ahead_by: 1, behind_by: 0, total_commits: 1, commits: [], files });
    }
    return send(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", base);
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      const auth = req.headers.authorization ?? null;
      route(req, res, url, body, auth).then(
        (status) => requests.push({ method: req.method ?? "", path: url.pathname + url.search, auth, body, status }),
        (err: unknown) => send(res, 500, { message: String(err) }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    appId,
    privateKey: key.privateKey,
    requests,
    checkRuns,
    tokens,
    setPullFiles: (o, r, n, files) => void pullFiles.set(`${o}/${r}#${n}`, files),
    setCompare: (o, r, basehead, files) => void compares.set(`${o}/${r}:${basehead}`, files),
    failRequests: (rule) => void failures.push(rule),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function view(run: FakeCheckRun) {
  return { id: run.id, name: run.name, head_sha: run.head_sha, external_id: run.external_id, status: run.status, conclusion: run.conclusion, started_at: run.started_at, completed_at: run.completed_at, output: { ...run.output, annotations_count: run.annotations.length } };
}

/** A webhook delivery signed as GitHub signs it. */
export function signedDelivery(secret: string, event: string, payload: unknown): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  return { body, headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": randomUUID(), "x-hub-signature-256": signature, "user-agent": "GitHub-Hookshot/fake" } };
}

/** The `repository` of a payload, for a repository served at `cloneUrl`. */
export function repository(owner: string, name: string, cloneUrl: string) {
  return { id: 1, name, full_name: `${owner}/${name}`, private: false, owner: { login: owner, type: "Organization" }, clone_url: cloneUrl, ssh_url: `git@github.com:${owner}/${name}.git`, html_url: `https://github.com/${owner}/${name}`, git_url: `git://github.com/${owner}/${name}.git`, default_branch: "main" };
}

/** A `pull_request` payload; `headRepo` (owner/name) makes it a pull request from that fork. */
export function pullRequestPayload(o: { action: string; number: number; headSha: string; headRef: string; baseSha: string; owner: string; repo: string; cloneUrl: string; installationId: number; headRepo?: string }) {
  const [forkOwner = "", forkName = ""] = (o.headRepo ?? "").split("/");
  const head = o.headRepo ? { sha: o.headSha, ref: o.headRef, repo: { ...repository(forkOwner, forkName, `https://github.com/${o.headRepo}.git`), id: 2, fork: true } } : { sha: o.headSha, ref: o.headRef };
  return {
    action: o.action,
    number: o.number,
    pull_request: { number: o.number, state: "open", head, base: { sha: o.baseSha, ref: "main" } },
    repository: repository(o.owner, o.repo, o.cloneUrl),
    organization: { login: o.owner },
    installation: { id: o.installationId },
    sender: { login: "contributor" },
  };
}

/** The webhook secret of the tests. */
export const SECRET = "webhook-secret-canary-5f1e";

/** The `github` section of a test config (the private key as a JSON string). */
export function githubYaml(fake: FakeGitHub, o: { concurrency?: number; users?: number; extra?: Record<string, string | number> } = {}): string {
  const extra = Object.entries(o.extra ?? {}).map(([k, v]) => `  ${k}: ${v}\n`).join("");
  const users = Array.from({ length: o.users ?? 1 }, (_, i) => `{ username: bot-troop-ci${i + 1} }`).join(", ");
  return `github:\n  enabled: true\n  appId: ${fake.appId}\n  privateKey: ${JSON.stringify(fake.privateKey)}\n  webhookSecret: ${SECRET}\n  apiUrl: ${fake.url}\n  acceptedOrgs: [Acme]\n  environment: testenv\n  concurrency: ${o.concurrency ?? 1}\n  users: [${users}]\n  cellTimeout: 60s\n  notebookTimeout: 3m\n${extra}`;
}

