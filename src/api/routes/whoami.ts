/**
 * `GET /whoami`: the caller's name, role and grant (flock patterns, largest count), for clients
 * that offer only what the caller may do (the dashboard hides a viewer's buttons). Built field
 * by field from the authenticated caller, so no token or token hash can leak into it.
 * @module
 */
import type { Caller } from "../auth.js";
import { callerInfoSchema, type CallerInfo } from "../../models/caller.js";
import type { RouteSpec } from "../route-spec.js";

/** What `GET /whoami` answers for `caller`. */
export function callerInfo(caller: Caller): CallerInfo {
  const owner = caller.role === "owner";
  return { name: caller.name, role: caller.role, flocks: owner ? [...caller.flocks] : [], max_count: owner ? caller.maxCount : null };
}

/** The route (any authenticated caller may ask about itself). */
export function whoamiRoute(): RouteSpec {
  return {
    method: "GET",
    path: "/whoami",
    tag: "auth",
    summary: "Who the token (or gateway identity) is: name, role and, for owners, the flocks and count it may manage",
    permission: "read",
    response: callerInfoSchema,
    handler: ({ reply }) => callerInfo(reply.request.caller!), // "read": the server authenticated the caller before the handler
  };
}
