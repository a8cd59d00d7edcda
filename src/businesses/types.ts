/**
 * What a business is given (its context) and how a business type is declared for the registry.
 * @module
 */
import type { z } from "zod";
import type { BotUser, Platform } from "../clients/hub/types.js";
import type { HttpClient } from "../clients/http.js";
import type { Execution } from "../models/execution.js";
import type { Business } from "./base.js";

/** Lines a business writes to its monkey's log. */
export interface LineLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** Loop states shown in the API. */
export type BusinessState = "starting" | "running" | "idle" | "error" | "stopping" | "stopped";

/** Everything a business instance needs, injected by the monkey that owns it. */
export interface BusinessContext<O> {
  options: O;
  /** `business.restart`: after a failure, start over with a fresh lab. */
  restart: boolean;
  identity: { flock: string | null; monkey: string; business: string };
  user: BotUser;
  platform: Platform;
  http: HttpClient;
  log: LineLogger;
  /** Receives every execution record. Must not throw or block. */
  onExecution(record: Execution): void;
  /** Counters to continue from (persisted across restarts). */
  counts?: { success: number; failure: number };
  /** Source of randomness for jitter (tests make it deterministic). */
  random?: () => number;
}

/** A business type as the registry knows it. */
export interface BusinessDefinition<S extends z.ZodType = z.ZodType> {
  /** Wire name (`type` in the flock config). */
  type: string;
  /** Older names that mean the same business; each logs a deprecation warning once. */
  aliases?: readonly string[];
  description: string;
  optionsSchema: S;
  /** Builds an instance. Absent while the business is planned but not implemented yet. */
  create?: (ctx: BusinessContext<z.output<S>>) => Business;
  /** True when the business spawns labs (its bots' servers are cleaned up at start and stop). */
  usesLab?: boolean;
  /** If absent, why (shown as a validation message). */
  notImplemented?: string;
}

/** Helper that keeps the options type of a definition tied to its schema. */
export function defineBusiness<S extends z.ZodType>(def: BusinessDefinition<S>): BusinessDefinition<S> {
  return def;
}
