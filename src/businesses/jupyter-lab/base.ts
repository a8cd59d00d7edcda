/**
 * Shared protocol work of every business that uses a lab (mobu's `NubladoBusiness`): hub
 * login, spawn, lab login, kernel sessions and lab deletion, each as a timed phase. Subclasses
 * implement `execute` with `ensureLab`, `openSession`, `runCode` and `closeSession`.
 * @module
 */
import type { z } from "zod";
import type { BotSession, SpawnRequest } from "../../clients/hub/types.js";
import { LabClient } from "../../clients/jupyterlab/lab-client.js";
import { KernelExecutionError, type KernelConnection } from "../../clients/jupyterlab/kernel.js";
import { CodeExecutionError, HttpStatusError, MonkeyError } from "../../errors.js";
import { describeImage } from "../../images/rubin-tag.js";
import { Business } from "../base.js";
import type { BusinessContext } from "../types.js";
import type { labOptionsShape } from "./options.js";

type LabOptions = z.output<z.ZodObject<typeof labOptionsShape>>;

/** An open kernel session in the lab. */
export interface OpenSession {
  id: string;
  kernelId: string;
  kernel: KernelConnection;
}

const SETUP_CODE = 'import os\nprint(os.environ.get("JUPYTER_IMAGE_SPEC", ""), os.environ.get("IMAGE_DESCRIPTION", ""), sep="\\n", end="")';

export abstract class LabBusiness<O extends LabOptions> extends Business<O> {
  protected readonly bot: BotSession;
  private loggedIn = false;
  private lab: LabClient | null = null;
  private session: OpenSession | null = null;

  constructor(ctx: BusinessContext<O>) {
    super(ctx);
    this.bot = ctx.platform.session(ctx.user);
  }

  /** Log in, spawn the lab if it is not running, and log in to the lab. */
  protected async ensureLab(): Promise<LabClient> {
    const t = this.options.jupyter_timeout;
    try {
      if (!this.loggedIn) {
        await this.phase("hub_login", t, (s) => this.bot.login(s));
        this.loggedIn = true;
      }
      const state = await this.phase("lab_status", t, (s) => this.bot.labState(s));
      if (state !== "running" || !this.lab) {
        if (state !== "running") await this.spawn(state === "pending");
        const endpoint = await this.phase("lab_login", t, (s) => this.bot.labLogin(s));
        this.lab = new LabClient(this.ctx.http, endpoint.baseUrl, endpoint.auth);
      }
      return this.lab;
    } catch (err) {
      await this.forgetOnAuthFailure(err);
      this.lab = null;
      throw err;
    }
  }

  private async spawn(alreadyPending: boolean): Promise<void> {
    this.lab = null;
    this.image = null;
    await this.phase("spawn_lab", this.options.spawn_timeout, async (signal) => {
      if (!alreadyPending) await this.bot.requestSpawn(this.spawnRequest(), signal);
      await this.pause(this.options.spawn_settle_time);
      await this.bot.waitForSpawn(signal, (p) => this.ctx.log.debug(`spawn progress ${p.progress}%: ${p.message}`));
    });
    this.ctx.log.info("lab spawned");
  }

  private spawnRequest(): SpawnRequest {
    const img = this.options.image;
    return {
      imageClass: img.image_class,
      tag: "tag" in img ? img.tag : undefined,
      reference: "reference" in img ? img.reference : undefined,
      size: img.size,
      debug: img.debug,
      userOptions: this.options.user_options,
    };
  }

  /**
   * Phase `create_session`: a kernel session (`type` as JupyterLab would create it) with its
   * websocket, then `execute_setup` — run outside the kernel's history, so the first cell the
   * business runs gets `execution_count` 1 as in a fresh notebook.
   */
  protected async openSession(name: string, type: "notebook" | "console" = "console"): Promise<OpenSession> {
    const lab = await this.ensureLab();
    const t = this.options.jupyter_timeout;
    const session = await this.phase("create_session", t, async (signal) => {
      const s = await lab.createSession({ name, kernelName: this.options.kernel_name, type, signal });
      try {
        const kernel = await lab.openKernel({ kernelId: s.kernelId, username: this.ctx.user.username, maxPayload: this.options.max_websocket_message_size, signal });
        return { id: s.id, kernelId: s.kernelId, kernel };
      } catch (err) {
        await lab.deleteSession(s.id, AbortSignal.timeout(t)).catch(() => undefined);
        throw err;
      }
    });
    this.session = session;
    const dir = this.options.working_directory;
    const setup = dir ? `${SETUP_CODE}\nos.chdir(${JSON.stringify(dir)})` : SETUP_CODE;
    const out = await this.phase("execute_setup", t, (s) => session.kernel.execute(setup, s, { storeHistory: false }));
    this.recordImage(out.stdout);
    return session;
  }

  /** Phase `execute_code`: run code, turning a Python exception into a CodeExecutionError. */
  protected async runCode(session: OpenSession, code: string, phaseName = "execute_code"): Promise<string> {
    try {
      const out = await this.phase(phaseName, this.options.execution_timeout, (s) => session.kernel.execute(code, s));
      this.ctx.log.debug(`ran code: ${out.stdout.slice(0, 200)}`);
      return out.stdout;
    } catch (err) {
      const cause = err instanceof MonkeyError ? err.cause : undefined;
      if (cause instanceof KernelExecutionError) {
        throw new CodeExecutionError({ phase: phaseName, code, ename: cause.ename, evalue: cause.evalue, traceback: cause.traceback, context: this.context() });
      }
      if (err instanceof MonkeyError) {
        err.code = code;
        if (err.failureClass === "timeout") await this.interrupt(session);
      }
      throw err;
    }
  }

  /** Interrupt the session's kernel (after a timeout); best effort, bounded by `jupyter_timeout`. */
  protected async interrupt(session: OpenSession): Promise<void> {
    await this.lab?.interruptKernel(session.kernelId, AbortSignal.timeout(this.options.jupyter_timeout)).catch(() => undefined);
  }

  /** Phase `delete_session`: close the websocket and delete the session (and its kernel). */
  protected async closeSession(session: OpenSession): Promise<void> {
    this.session = null;
    session.kernel.close();
    const lab = this.lab;
    if (!lab) return;
    await this.phase("delete_session", this.options.jupyter_timeout, (s) => lab.deleteSession(session.id, s), { ignoreStop: true });
  }

  /** Phase `delete_lab`: stop the lab and wait until it is gone. */
  protected async deleteLab(): Promise<void> {
    this.lab = null;
    if (!this.loggedIn) await this.phase("hub_login", this.options.jupyter_timeout, (s) => this.bot.login(s), { ignoreStop: true });
    this.loggedIn = true;
    await this.phase("delete_lab", this.options.delete_timeout, (s) => this.bot.deleteLab(s), { ignoreStop: true });
    this.ctx.log.info("lab deleted");
  }

  /** With `restart: true`: a fresh lab (and fresh login) for the next iteration. */
  protected override async recover(): Promise<void> {
    if (this.session) await this.closeSession(this.session).catch(() => undefined);
    await this.deleteLab();
    this.loggedIn = false;
  }

  /** On stop: close the session and delete the lab, so a stopped or paused monkey holds nothing. */
  protected override async shutdown(): Promise<void> {
    if (this.session) await this.closeSession(this.session).catch(() => undefined);
    await this.deleteLab();
  }

  protected override async close(): Promise<void> {
    await this.bot.close(AbortSignal.timeout(this.options.jupyter_timeout));
  }

  /** The hub refused the bot's credentials: revoke them (best effort) so the next login gets new ones. */
  private async forgetOnAuthFailure(err: unknown): Promise<void> {
    const cause = err instanceof MonkeyError ? err.cause : err;
    if (cause instanceof HttpStatusError && (cause.status === 401 || cause.status === 403)) {
      this.loggedIn = false;
      await this.bot.close(AbortSignal.timeout(this.options.jupyter_timeout)).catch(() => this.bot.resetCredentials());
    }
  }

  private recordImage(stdout: string): void {
    const [reference = "", description = ""] = stdout.split("\n");
    if (!reference) {
      this.image = null;
      return;
    }
    const d = describeImage(reference);
    this.image = { reference, description: description || null, tag: d.tag, type: d.type, version: d.version };
  }
}
