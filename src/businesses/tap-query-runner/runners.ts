/**
 * The two TAP businesses: TAPQueryRunner picks a query from its `queries` list; TAPQuerySetRunner
 * renders a random template of its query set with freshly drawn parameters (and is what the
 * older TAPQueryRunner form with `query_set` runs).
 * @module
 */
import { MonkeyError } from "../../errors.js";
import type { TapQueryRunnerOptions, TapQuerySetRunnerOptions } from "./options.js";
import { formatQuerySetProblem, loadTapQuerySet, QuerySetError, renderQuery, type TapQuerySet } from "./query-set.js";
import { TapBusiness, type NamedQuery } from "./tap-business.js";

/** TAPQueryRunner: a random query of `queries` each iteration. */
export class TapQueryListRunner extends TapBusiness<TapQueryRunnerOptions> {
  protected nextQuery(): NamedQuery {
    const queries = this.options.queries ?? [];
    const i = Math.min(queries.length - 1, Math.floor(this.random() * queries.length));
    return { name: `queries[${i}]`, query: queries[i] ?? "" };
  }
}

/** TAPQuerySetRunner: a random template of `query_set`, rendered with random parameters. */
export class TapQuerySetRunner extends TapBusiness<TapQuerySetRunnerOptions | TapQueryRunnerOptions> {
  private set: TapQuerySet | null = null;

  protected override async prepare(): Promise<void> {
    const root = this.ctx.dataServices?.tap.querySets ?? "";
    const name = this.options.query_set ?? "";
    try {
      this.set = loadTapQuerySet(root, name);
    } catch (err) {
      if (!(err instanceof QuerySetError)) throw err;
      throw new MonkeyError({ phase: "startup", failureClass: "internal", message: `query set ${name}: ${err.problems.map(formatQuerySetProblem).join("; ")}`, context: this.context() });
    }
    this.ctx.log.info(`query set ${name}: templates ${this.set.templates.map((t) => t.name).join(", ")}`);
  }

  protected nextQuery(): NamedQuery {
    try {
      return renderQuery(this.set!, () => this.random(), this.ctx.user.username);
    } catch (err) {
      throw new MonkeyError({ phase: "render_query", failureClass: "internal", message: `query set ${this.options.query_set}: ${(err as Error).message}`, context: this.context(), cause: err });
    }
  }
}
