/**
 * Config of service discovery (`discovery`): where the discovery document is (Rubin's
 * Repertoire or any URL that serves the same shape), how often it is fetched again and the
 * limit of one fetch. Without `url`, discovery is off and only the service config counts.
 * @module
 */
import { z } from "zod";
import { duration } from "./duration.js";

/** `discovery`: the service-discovery document and its refresh. */
export const discoveryConfigSchema = z.strictObject({
  url: z.url().optional().meta({ description: "URL of the service-discovery document (env TROOP_DISCOVERY_URL), e.g. a Phalanx environment's /repertoire/discovery. Absent: discovery is off", examples: ["https://data.example.org/repertoire/discovery"] }),
  refreshInterval: duration("How often the document is fetched again; a failed fetch keeps the last good document").default(300_000),
  timeout: duration("Limit of one fetch").default(10_000),
});
export type DiscoveryConfig = z.output<typeof discoveryConfigSchema>;
