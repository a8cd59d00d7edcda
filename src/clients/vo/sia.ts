/**
 * A narrow client for an IVOA SIA 2.0 query endpoint (SIA 2.0 §2.1): one `GET {url}?POS=…&
 * TIME=…` search whose answer is a VOTable of datasets (read with `readResult`). Credentials
 * travel only in the headers from `auth()`.
 * @module
 */
import type { HttpClient } from "../http.js";
import { failOnStatus } from "./tap.js";

/** One SIA 2 search (the parameters Troop sets). */
export interface SiaQuery {
  /** Circle in ICRS degrees: `POS=CIRCLE ra dec radius`. */
  circle: { ra: number; dec: number; radius: number };
  /** `TIME=start end` in MJD (an interval, DALI syntax); absent: no time constraint. */
  time?: readonly [number, number] | undefined;
  /** MAXREC; null: the service's default. */
  maxrec?: number | null | undefined;
  /** RESPONSEFORMAT; null: the service's default (a VOTable). */
  responseFormat?: string | null | undefined;
}

/** How to reach one SIA service. */
export interface SiaClientOptions {
  http: HttpClient;
  /** The query endpoint, e.g. `https://data.example.org/api/sia/dp02/query`. */
  url: string;
  auth: () => Record<string, string>;
}

/** A number as SIA parameters are written: fixed point, at most 8 decimals, no exponent. */
function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(8).replace(/0+$/, "");
}

/** The query string of a search, as sent (also recorded in the execution). */
export function siaParameters(q: SiaQuery): URLSearchParams {
  const p = new URLSearchParams();
  p.set("POS", `CIRCLE ${num(q.circle.ra)} ${num(q.circle.dec)} ${num(q.circle.radius)}`);
  if (q.time) p.set("TIME", `${num(q.time[0])} ${num(q.time[1])}`);
  if (q.maxrec !== null && q.maxrec !== undefined) p.set("MAXREC", String(q.maxrec));
  if (q.responseFormat) p.set("RESPONSEFORMAT", q.responseFormat);
  return p;
}

/** An SIA 2 service as one bot uses it. */
export class SiaClient {
  constructor(private readonly opts: SiaClientOptions) {}

  /** Run a search; returns the response with its body still to be read. */
  async search(q: SiaQuery, signal: AbortSignal): Promise<Response> {
    const base = this.opts.url;
    const url = `${base}${base.includes("?") ? "&" : "?"}${siaParameters(q).toString()}`;
    const res = await this.opts.http.request(url, { headers: this.opts.auth(), expect: Array.from({ length: 500 }, (_, i) => i + 100), redirect: "follow", signal });
    await failOnStatus("GET", url, res.response);
    return res.response;
  }
}
