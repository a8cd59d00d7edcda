/**
 * Routes are declared as data (method, path, schemas, handler) so that the server and the
 * OpenAPI document are built from the same declarations.
 * @module
 */
import type { FastifyReply } from "fastify";
import type { z } from "zod";
import type { Permission } from "../services/authz.js";

export interface RouteInput {
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: unknown;
  reply: FastifyReply;
}

export interface RouteSpec {
  method: "GET" | "PUT" | "POST" | "DELETE" | "PATCH";
  /** Fastify path under the prefix, e.g. `/flocks/:flock`. */
  path: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  /** Query parameters (an object schema; documented in OpenAPI, parsed by the handler's service). */
  query?: z.ZodObject;
  response?: z.ZodType;
  /** Success status (default 200). */
  status?: number;
  /** Non-JSON response type (e.g. text/plain for logs). */
  produces?: string;
  /** Who may call it (checked by the Authorizer before the handler; `public` needs no token). */
  permission: Permission;
  /** A change: recorded in the audit log under this action name, with the flock before and after. */
  audit?: string;
  /** Receive the body as a Buffer, whatever its content type (for signature checks over the raw bytes). */
  rawBody?: boolean;
  handler(input: RouteInput): Promise<unknown> | unknown;
}
