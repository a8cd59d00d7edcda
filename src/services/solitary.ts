/**
 * Solitary runs (`POST /run`): a business run once, synchronously, by one bot user outside any
 * flock; the caller gets success, the error and the monkey's log. The record is stored in the
 * history with flock null (`GET /executions/{id}`, `GET /solitary/executions`).
 * @module
 */
import { z } from "zod";
import { businessConfigSchema, lookupBusiness, type BusinessConfig } from "../businesses/registry.js";
import { issuesToLocations } from "../config/issues.js";
import { ApiError } from "../errors.js";
import { userSchema } from "../models/flock.js";
import type { SolitaryResult } from "../models/status.js";
import type { HistoryStore } from "../store/history-types.js";
import { Monkey, type MonkeyRuntime } from "./monkey.js";

export const solitaryConfigSchema = z
  .strictObject({
    user: userSchema,
    scopes: z.array(z.string()).default([]),
    business: businessConfigSchema,
  })
  .meta({ id: "SolitaryConfig", description: "Run a business once as one bot user (mobu's SolitaryConfig)" });

export class SolitaryRunner {
  /** `history`: where the record is stored (with flock null), when given. */
  constructor(
    private readonly runtime: MonkeyRuntime,
    private readonly history?: Pick<HistoryStore, "add">,
  ) {}

  async run(body: unknown): Promise<SolitaryResult> {
    const parsed = solitaryConfigSchema.safeParse(body);
    if (!parsed.success) throw new ApiError({ code: "invalid_request", status: 422, message: "Invalid solitary run", errors: issuesToLocations(parsed.error.issues) });
    const def = lookupBusiness(parsed.data.business.type)!;
    const monkey = new Monkey({
      flock: null,
      user: { ...parsed.data.user, scopes: parsed.data.scopes },
      business: parsed.data.business as BusinessConfig,
      definition: def,
      runtime: this.runtime,
      onExecution: () => undefined,
    });
    const execution = await monkey.runOnce();
    await monkey.stop();
    if (execution) this.history?.add(execution);
    const success = execution?.result === "success";
    return { success, error: execution?.error ? `${execution.error.phase}: ${execution.error.message}` : null, log: monkey.log.text(), execution, execution_id: execution && this.history ? execution.id : null };
  }
}
