/**
 * `GET /whoami`: who the API takes the caller to be and what it may change, so a client (the
 * dashboard) can offer only what the caller may do. Never a token or its hash.
 * @module
 */
import { z } from "zod";

export const callerInfoSchema = z
  .strictObject({
    name: z.string().meta({ description: "The principal (admin for TROOP_API_TOKEN, the user behind a gateway)", examples: ["tap-team"] }),
    role: z.enum(["admin", "owner", "viewer"]).meta({ description: "admin: everything; owner: manage matching flocks; viewer: read-only" }),
    flocks: z.array(z.string()).meta({ description: "Owners: the flock name patterns they manage (* matches any run of characters); empty otherwise", examples: [["tap-*"]] }),
    max_count: z.number().nullable().meta({ description: "Owners: the largest count of a flock they manage; null for other roles" }),
  })
  .meta({ id: "CallerInfo" });
export type CallerInfo = z.output<typeof callerInfoSchema>;
