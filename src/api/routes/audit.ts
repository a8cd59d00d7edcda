/**
 * Audit routes: `GET /audit`, the changes made through the API and by GitHub pushes, newest first (admins only).
 * @module
 */
import { z } from "zod";
import type { AuditService } from "../../services/audit.js";
import { auditEntrySchema } from "../../store/audit-sqlite.js";
import { parseBody } from "../parse.js";
import type { RouteSpec } from "../route-spec.js";

const auditQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100).meta({ description: "Entries per page (1–500)" }),
  before: z.coerce.number().int().min(1).optional().meta({ description: "Cursor: the id of the last entry of the previous page" }),
  flock: z.string().max(64).optional().meta({ description: "Only changes of this flock" }),
});

/** The routes of the audit log. */
export function auditRoutes(audit: AuditService): RouteSpec[] {
  return [
    {
      method: "GET",
      path: "/audit",
      tag: "audit",
      summary: "Changes made through the API and refreshes by GitHub pushes, newest first: who, what, when, the flock before and after (secrets redacted)",
      permission: "admin",
      query: auditQuerySchema,
      response: z.array(auditEntrySchema),
      handler: ({ query }) => audit.list(parseBody(auditQuerySchema, query)),
    },
  ];
}
