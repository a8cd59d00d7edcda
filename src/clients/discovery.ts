/**
 * The service-discovery client: one `GET` of a discovery document in the shape of Rubin's
 * Repertoire (`/repertoire/discovery` of a Phalanx environment). Only what Troop uses is
 * validated — the enabled `applications` and, per dataset, the URL of each data service
 * (`datasets.<name>.services.<service>.url`); every other field is tolerated and ignored.
 * @module
 */
import { z } from "zod";
import { HttpStatusError, NetworkError } from "../errors.js";
import { redactUrl, stripQuery, type HttpClient } from "./http.js";

const serviceSchema = z.looseObject({ url: z.string().min(1) });
const datasetSchema = z.looseObject({ services: z.record(z.string(), serviceSchema).default({}) });

/** The discovery document, narrowed to what Troop reads (unknown fields are kept, not checked). */
export const discoveryDocumentSchema = z.looseObject({
  applications: z.array(z.string()).default([]),
  datasets: z.record(z.string(), datasetSchema).default({}),
  environment_name: z.string().nullish(),
});
export type DiscoveryDocument = z.output<typeof discoveryDocumentSchema>;

/** The document could not be fetched or is not a discovery document. */
export class DiscoveryError extends Error {
  override readonly name = "DiscoveryError";
}

/** Fetches and validates the discovery document at one URL. */
export class DiscoveryClient {
  constructor(
    private readonly http: HttpClient,
    readonly url: string,
  ) {}

  /** The URL as messages show it: without credentials or query string (either can hold a secret). */
  get shownUrl(): string {
    return redactUrl(stripQuery(this.url));
  }

  /** `GET` the document; throws {@link DiscoveryError} with the reason (never a credential). */
  async fetch(signal: AbortSignal): Promise<DiscoveryDocument> {
    const shown = this.shownUrl;
    let body: unknown;
    try {
      const res = await this.http.request(this.url, { headers: { accept: "application/json" }, signal, redirect: "follow" });
      body = await res.json();
    } catch (err) {
      if (err instanceof HttpStatusError) throw new DiscoveryError(`GET ${shown} answered HTTP ${err.status}`);
      if (signal.aborted) throw new DiscoveryError(`GET ${shown}: no answer in time`);
      // fetch and the network layer can quote the whole URL (query and credentials included)
      const said = redactUrl((err as Error).message.split(this.url).join(shown));
      throw new DiscoveryError(err instanceof NetworkError || said.includes(shown) ? said : `GET ${shown}: ${said}`);
    }
    const parsed = discoveryDocumentSchema.safeParse(body);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new DiscoveryError(`not a discovery document: ${first ? `${first.path.join(".") || "(document)"}: ${first.message}` : "invalid"}`);
    }
    return parsed.data;
  }
}

/** The URL of `service` (e.g. `tap`, `sia`) for `dataset` in a document, or null. */
export function discoveredServiceUrl(doc: DiscoveryDocument, dataset: string, service: string): string | null {
  return doc.datasets[dataset]?.services[service]?.url ?? null;
}
