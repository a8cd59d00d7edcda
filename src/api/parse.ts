/** Parsing a request body with a schema into a 422 with located problems. @module */
import type { z } from "zod";
import { issuesToLocations } from "../config/issues.js";
import { ApiError } from "../errors.js";

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError({ code: "invalid_request", status: 422, message: "Invalid request body", errors: issuesToLocations(parsed.error.issues) });
  return parsed.data;
}
