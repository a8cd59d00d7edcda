/**
 * The CLI's HTTP client: talks only to Troop's REST API (like mobu's monkeyflocker), with
 * `TROOP_URL` and `TROOP_API_TOKEN`. API errors come back as {@link CliError} with the code.
 * @module
 */

export class CliError extends Error {
  override readonly name = "CliError";
}

export class TroopClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static fromEnv(env: NodeJS.ProcessEnv): TroopClient {
    const url = env["TROOP_URL"];
    const token = env["TROOP_API_TOKEN"];
    if (!url) throw new CliError("set TROOP_URL to Troop's base URL including its path prefix (e.g. http://127.0.0.1:8080)");
    if (!token) throw new CliError("set TROOP_API_TOKEN to Troop's API token");
    return new TroopClient(url.replace(/\/+$/, ""), token);
  }

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new CliError(`cannot reach ${this.baseUrl}: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 500);
      try {
        const e = JSON.parse(text) as { code: string; message: string; errors?: { path: string; message: string }[] };
        detail = `${e.code}: ${e.message}${(e.errors ?? []).map((x) => `\n  ${x.path}: ${x.message}`).join("")}`;
      } catch {
        // not JSON: keep the text
      }
      throw new CliError(`${method} ${path} → ${res.status} ${detail}`);
    }
    if (res.status === 204 || text === "") return undefined as T;
    return (res.headers.get("content-type") ?? "").includes("json") ? (JSON.parse(text) as T) : (text as T);
  }
}
