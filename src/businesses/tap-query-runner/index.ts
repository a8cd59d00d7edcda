/**
 * Registry entries of the TAP and SIA businesses, with their flock-start checks: the service
 * URL of `dataset` must be known (service config or discovery document), and the query set must
 * load and render (every problem located in its file). `TAPQueryRunner` with `query_set` (the
 * older form) runs the query set.
 * @module
 */
import { serviceUrl, type DataService } from "../../config/data-services.js";
import { defineBusiness, type BusinessEnvironment, type OptionsProblem } from "../types.js";
import { siaQuerySetRunnerOptionsSchema, tapQueryRunnerOptionsSchema, tapQuerySetRunnerOptionsSchema } from "./options.js";
import { formatQuerySetProblem, loadSiaQuerySet, loadTapQuerySet, QuerySetError } from "./query-set.js";
import { TapQueryListRunner, TapQuerySetRunner } from "./runners.js";
import { SiaQuerySetRunner } from "./sia-business.js";

function urlProblem(kind: "tap" | "sia", service: DataService, dataset: string, env: BusinessEnvironment): OptionsProblem[] {
  if (serviceUrl(service, dataset)) return [];
  const k = kind.toUpperCase();
  const fix = `set ${kind}.url (TROOP_${k}_URL) or ${kind}.datasets.${dataset} in the service config`;
  if (service.discovered && !service.discovered.loaded) {
    // the discovery document has not been fetched yet: the URL may still come from it
    return [{ path: ["dataset"], severity: "warning", message: `no ${k} URL for dataset ${dataset} yet: the service-discovery document has not been fetched (or ${fix})` }];
  }
  const where = service.discovered ? ", or have the service-discovery document list it" : "";
  return [{ path: ["dataset"], severity: env.final ? "error" : "warning", message: `no ${k} URL for dataset ${dataset}: ${fix}${where}` }];
}

function setProblems(load: () => unknown): OptionsProblem[] {
  try {
    load();
    return [];
  } catch (err) {
    if (!(err instanceof QuerySetError)) throw err;
    return err.problems.map((p) => ({ path: ["query_set"], severity: "error" as const, message: formatQuerySetProblem(p) }));
  }
}

export const tapQueryRunner = defineBusiness({
  type: "TAPQueryRunner",
  description: "Runs a random TAP query from a list (or, in the older form with query_set, a query set)",
  optionsSchema: tapQueryRunnerOptionsSchema,
  create: (ctx) => {
    const options = ctx.options;
    return options.query_set ? new TapQuerySetRunner({ ...ctx, options }) : new TapQueryListRunner({ ...ctx, options });
  },
  check: (raw, env) => {
    const options = raw;
    const problems = urlProblem("tap", env.dataServices.tap, options.dataset, env);
    const set = options.query_set;
    if (set === undefined) return problems;
    problems.push({ path: ["query_set"], severity: "warning", message: "TAPQueryRunner with query_set is the older form of TAPQuerySetRunner; use TAPQuerySetRunner" });
    return [...problems, ...setProblems(() => loadTapQuerySet(env.dataServices.tap.querySets, set))];
  },
});

export const tapQuerySetRunner = defineBusiness({
  type: "TAPQuerySetRunner",
  description: "Runs random queries rendered from a query set",
  optionsSchema: tapQuerySetRunnerOptionsSchema,
  create: (ctx) => new TapQuerySetRunner({ ...ctx, options: ctx.options }),
  check: (raw, env) => {
    const options = raw;
    return [...urlProblem("tap", env.dataServices.tap, options.dataset, env), ...setProblems(() => loadTapQuerySet(env.dataServices.tap.querySets, options.query_set))];
  },
});

export const siaQuerySetRunner = defineBusiness({
  type: "SIAQuerySetRunner",
  description: "Runs random SIA 2 image searches (POS and TIME from a query set)",
  optionsSchema: siaQuerySetRunnerOptionsSchema,
  create: (ctx) => new SiaQuerySetRunner({ ...ctx, options: ctx.options }),
  check: (raw, env) => {
    const options = raw;
    return [...urlProblem("sia", env.dataServices.sia, options.dataset, env), ...setProblems(() => loadSiaQuerySet(env.dataServices.sia.querySets, options.query_set))];
  },
});
