/**
 * Service config of the data services the TAP and SIA businesses query: where each service is
 * (a default URL plus one per dataset), what bearer token to send on a hub without Gafaelfawr,
 * and the directory of query sets. Resolved once into {@link DataServices}, which businesses
 * receive in their context; URLs the config lacks may come from the service-discovery document
 * ({@link withDiscovery}).
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** The query sets shipped with Troop (`<package>/query-sets`), found relative to this module. */
export const SHIPPED_QUERY_SETS = fileURLToPath(new URL("../../query-sets", import.meta.url));

function serviceSchema(kind: "TAP" | "SIA", env: { url: string; token: string }, sets: string) {
  return z.strictObject({
    url: z.url().optional().meta({ description: `Default ${kind} URL, used for every dataset not listed in \`datasets\` (env ${env.url})`, examples: [kind === "TAP" ? "http://127.0.0.1:8081/tap" : "http://127.0.0.1:8081/__system__/siap2/sitewide/siap2.xml"] }),
    datasets: z.record(z.string(), z.url()).default({}).meta({ description: `${kind} URL per dataset (the business option \`dataset\`)`, examples: [{ dp02: kind === "TAP" ? "https://data.example.org/api/tap" : "https://data.example.org/api/sia/dp02/query" }] }),
    token: z.string().min(8).optional().meta({ description: `Bearer token every monkey sends to ${kind} on a hub of type jupyterhub (env ${env.token}; prefer the environment). On nublado each monkey sends its own Gafaelfawr token instead` }),
    querySets: z.string().default(resolve(SHIPPED_QUERY_SETS, sets)).meta({ description: `Directory of ${kind} query sets (one folder per set); relative to the working directory. Default: the sets shipped in query-sets/${sets}` }),
  });
}

export const tapServiceConfigSchema = serviceSchema("TAP", { url: "TROOP_TAP_URL", token: "TROOP_TAP_TOKEN" }, "tap").meta({ description: "TAP services (TAPQueryRunner, TAPQuerySetRunner)" });
export const siaServiceConfigSchema = serviceSchema("SIA", { url: "TROOP_SIA_URL", token: "TROOP_SIA_TOKEN" }, "sia").meta({ description: "SIA 2 services (SIAQuerySetRunner)" });

/** One data service as the businesses see it: URLs, token and an absolute query-set directory. */
export interface DataService {
  url: string | null;
  datasets: Readonly<Record<string, string>>;
  token: string | null;
  querySets: string;
  /** URLs from the service-discovery document (looked up at each use, so a refresh takes effect); absent when discovery is off. */
  discovered?: DiscoveredUrls | undefined;
}

/** This service's URLs in the current discovery document. */
export interface DiscoveredUrls {
  /** The URL of `dataset`'s service in the last good document, or null. */
  url(dataset: string): string | null;
  /** False until a document has been fetched (a missing URL may still come). */
  readonly loaded: boolean;
}

/** Every data service of the deployment (injected into the TAP and SIA businesses). */
export interface DataServices {
  tap: DataService;
  sia: DataService;
}

type ServiceInput = z.output<typeof tapServiceConfigSchema>;

function service(s: ServiceInput | undefined, sets: string): DataService {
  const dir = s?.querySets ?? resolve(SHIPPED_QUERY_SETS, sets);
  return { url: s?.url ?? null, datasets: s?.datasets ?? {}, token: s?.token ?? null, querySets: isAbsolute(dir) ? dir : resolve(process.cwd(), dir) };
}

/** Resolve the `tap` and `sia` blocks of the service config (either may be absent). */
export function dataServicesFromConfig(config: { tap?: ServiceInput | undefined; sia?: ServiceInput | undefined }): DataServices {
  return { tap: service(config.tap, "tap"), sia: service(config.sia, "sia") };
}

/**
 * The URL of `dataset`: its own in the config, else the one in the discovery document, else the
 * config's default; null when none is known.
 */
export function serviceUrl(s: DataService, dataset: string): string | null {
  return s.datasets[dataset] ?? s.discovered?.url(dataset) ?? s.url;
}

/** `services` with URLs also looked up in a discovery document (`lookup(kind, dataset)`). */
export function withDiscovery(services: DataServices, lookup: { url(kind: "tap" | "sia", dataset: string): string | null; readonly loaded: boolean }): DataServices {
  const discovered = (kind: "tap" | "sia"): DiscoveredUrls => ({
    url: (dataset) => lookup.url(kind, dataset),
    get loaded() {
      return lookup.loaded;
    },
  });
  return { tap: { ...services.tap, discovered: discovered("tap") }, sia: { ...services.sia, discovered: discovered("sia") } };
}
