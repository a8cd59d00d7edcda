/**
 * Discovery route: `GET /discovery` shows the service-discovery document in use (applications,
 * data-service URLs per dataset) and how its last fetches went.
 * @module
 */
import { discoveryStatusSchema, type DiscoveryService } from "../../services/discovery.js";
import type { RouteSpec } from "../route-spec.js";

export function discoveryRoutes(discovery: DiscoveryService): RouteSpec[] {
  return [
    {
      method: "GET",
      path: "/discovery",
      tag: "discovery",
      summary: "Service discovery: the applications and data-service URLs in use, the last fetch and its error",
      permission: "read",
      response: discoveryStatusSchema,
      handler: () => discovery.status(),
    },
  ];
}
