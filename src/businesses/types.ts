/**
 * What a business is given (its context) and how a business type is declared for the registry.
 * @module
 */
import type { z } from "zod";
import type { BotUser, Platform } from "../clients/hub/types.js";
import type { HttpClient } from "../clients/http.js";
import type { DataServices } from "../config/data-services.js";
import type { Execution } from "../models/execution.js";
import type { ArtifactSink } from "../store/artifacts.js";
import type { RepoSource } from "../store/repo-cache.js";
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
  /** What notebook runners share (built once by the composition root). */
  notebooks?: NotebookResources;
  /** Where the TAP and SIA services are, their tokens and query sets (from the service config). */
  dataServices?: DataServices | undefined;
}

/** Process-wide resources of the notebook runners. */
export interface NotebookResources {
  /** Checkouts of notebook repositories (shared, reference-counted). */
  repos: RepoSource;
  /** Where executed notebooks are kept (null: not kept). */
  artifacts: ArtifactSink | null;
  /**
   * Applications this deployment has, for `required_applications`: a fixed list
   * (`availableApplications`), or a function read before each notebook (the config's plus those
   * of the service-discovery document, which may change at each refresh).
   */
  availableApplications: readonly string[] | (() => readonly string[]);
}

/** A business type as the registry knows it. */
export interface BusinessDefinition<S extends z.ZodType = z.ZodType> {
  /** Wire name (`type` in the flock config). */
  type: string;
  /** Older names that mean the same business; each logs a deprecation warning once. */
  aliases?: readonly string[];
  description: string;
  optionsSchema: S;
  /** Builds an instance. */
  create: (ctx: BusinessContext<z.output<S>>) => Business;
  /** True when the business spawns labs (its bots' servers are cleaned up at start and stop). */
  usesLab?: boolean;
  /**
   * Checks that need more than the options schema (files the options name, services the
   * deployment must have). Run when a flock starts (API, autostart) and by `troop validate`.
   */
  check?: (options: z.output<S>, env: BusinessEnvironment) => OptionsProblem[];
}

/** Helper that keeps the options type of a definition tied to its schema. */
export function defineBusiness<S extends z.ZodType>(def: BusinessDefinition<S>): BusinessDefinition<S> {
  return def;
}

/** What a definition's `check` may look at. */
export interface BusinessEnvironment {
  dataServices: DataServices;
  /**
   * True when this is the service config monkeys will run with (a flock starting); false for
   * `troop validate`, where settings of the deployment (a service URL) may come later from the
   * environment, so their absence is only a warning.
   */
  final: boolean;
}

/** A problem `check` found, located inside the flock's `business.options`. */
export interface OptionsProblem {
  /** Path inside the options, e.g. `["query_set"]`. */
  path: (string | number)[];
  message: string;
  /** Errors refuse the flock; warnings are logged (and shown by `troop validate`). */
  severity: "error" | "warning";
}
