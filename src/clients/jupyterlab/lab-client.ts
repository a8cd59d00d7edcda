/**
 * REST calls to a single-user Jupyter server (sessions, kernels) and the way into its kernel
 * websocket. Authentication is abstract ({@link LabAuth}) so the same client serves a token
 * (plain JupyterHub) and cookies + XSRF (Nublado).
 * @module
 */
import { z } from "zod";
import type { HttpClient } from "../http.js";
import { KernelConnection } from "./kernel.js";

/** Credentials for the lab: headers for REST calls and for the websocket handshake. */
export interface LabAuth {
  headers(): Record<string, string>;
}

const sessionSchema = z.looseObject({ id: z.string(), kernel: z.looseObject({ id: z.string(), name: z.string().optional() }) });
const kernelspecsSchema = z.looseObject({ default: z.string() });

/** A created session: its id and the kernel behind it. */
export interface LabSession {
  id: string;
  kernelId: string;
  kernelName: string | undefined;
}

export class LabClient {
  constructor(
    private readonly http: HttpClient,
    private readonly baseUrl: string,
    private readonly auth: LabAuth,
  ) {}

  /** `GET api/kernelspecs` → the name of the lab's default kernel. */
  async defaultKernel(signal: AbortSignal): Promise<string> {
    const res = await this.http.request(`${this.baseUrl}api/kernelspecs`, { headers: this.auth.headers(), signal });
    return kernelspecsSchema.parse(await res.json()).default;
  }

  /**
   * `POST api/sessions`: a session with a fresh kernel, of type `notebook` (what JupyterLab
   * creates for a notebook; its `path` is the notebook's) or `console` (the default).
   */
  async createSession(opts: { name: string; kernelName: string | null; type?: "notebook" | "console"; signal: AbortSignal }): Promise<LabSession> {
    const kernel = opts.kernelName ? { name: opts.kernelName } : {};
    const res = await this.http.request(`${this.baseUrl}api/sessions`, {
      method: "POST",
      headers: this.auth.headers(),
      json: { path: opts.name, name: opts.name, type: opts.type ?? "console", kernel },
      signal: opts.signal,
      expect: [200, 201],
    });
    const s = sessionSchema.parse(await res.json());
    return { id: s.id, kernelId: s.kernel.id, kernelName: s.kernel.name };
  }

  /** `DELETE api/sessions/{id}` (shuts the kernel down). A session already gone is fine. */
  async deleteSession(id: string, signal: AbortSignal): Promise<void> {
    await this.http.request(`${this.baseUrl}api/sessions/${encodeURIComponent(id)}`, {
      method: "DELETE",
      headers: this.auth.headers(),
      signal,
      expect: [204, 404],
    });
  }

  /** `POST api/kernels/{id}/interrupt`. */
  async interruptKernel(kernelId: string, signal: AbortSignal): Promise<void> {
    await this.http.request(`${this.baseUrl}api/kernels/${encodeURIComponent(kernelId)}/interrupt`, {
      method: "POST",
      headers: this.auth.headers(),
      signal,
      expect: [204, 200],
    });
  }

  /** Open the kernel's channels websocket. */
  openKernel(opts: { kernelId: string; username: string; maxPayload: number | null; signal: AbortSignal }): Promise<KernelConnection> {
    const wsBase = this.baseUrl.replace(/^http/, "ws");
    return KernelConnection.open({
      url: `${wsBase}api/kernels/${encodeURIComponent(opts.kernelId)}/channels`,
      headers: this.auth.headers(),
      username: opts.username,
      maxPayload: opts.maxPayload,
      signal: opts.signal,
    });
  }
}
