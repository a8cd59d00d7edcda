/**
 * SIAQuerySetRunner: each iteration is one IVOA SIA 2 search with a random cone (POS=CIRCLE)
 * and, when the query set has a time range, a random interval (TIME, MJD), drawn from the
 * set's `params.yaml`. Phases `submit` (the GET until its headers) and `fetch` (reading the
 * VOTable); results are checked like TAP results (rows counted, QUERY_STATUS=ERROR fails).
 * @module
 */
import { readResult } from "../../clients/vo/result.js";
import { SiaClient, siaParameters, type SiaQuery } from "../../clients/vo/sia.js";
import { MonkeyError } from "../../errors.js";
import { DataBusiness } from "./data-business.js";
import type { SiaQuerySetRunnerOptions } from "./options.js";
import { drawSiaQuery } from "./params.js";
import { formatQuerySetProblem, loadSiaQuerySet, QuerySetError, type SiaQuerySet } from "./query-set.js";

export class SiaQuerySetRunner extends DataBusiness<SiaQuerySetRunnerOptions> {
  protected readonly serviceKind = "sia" as const;
  private set: SiaQuerySet | null = null;
  private client: SiaClient | null = null;

  protected override async prepare(): Promise<void> {
    const root = this.ctx.dataServices?.sia.querySets ?? "";
    try {
      this.set = loadSiaQuerySet(root, this.options.query_set);
    } catch (err) {
      if (!(err instanceof QuerySetError)) throw err;
      throw new MonkeyError({ phase: "startup", failureClass: "internal", message: `query set ${this.options.query_set}: ${err.problems.map(formatQuerySetProblem).join("; ")}`, context: this.context() });
    }
    this.client = new SiaClient({ http: this.ctx.http, url: this.url, auth: () => this.auth() });
  }

  protected async execute(): Promise<void> {
    const draw = drawSiaQuery(this.set!.params, () => this.random());
    const q: SiaQuery = { ...draw, maxrec: this.options.max_rows, responseFormat: this.options.response_format };
    const query = decodeURIComponent(siaParameters(q).toString().replace(/\+/g, " "));
    this.startQuery({ query, query_name: this.options.query_set, mode: "sync", ra: draw.circle.ra, dec: draw.circle.dec, radius: draw.circle.radius, time_start: draw.time?.[0] ?? null, time_end: draw.time?.[1] ?? null });
    this.ctx.log.info(`SIA search ${query}`);
    const client = this.client!;
    const response = await this.queryPhase("submit", (s) => client.search(q, s));
    this.recordResult(await this.queryPhase("fetch", (s) => readResult(response, s)));
  }
}
