/**
 * Bearer-token authentication of API calls, compared in constant time.
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ApiError } from "../errors.js";

/** A checker for `Authorization: Bearer <token>` against the configured API token. */
export function bearerChecker(apiToken: string): (header: string | undefined) => void {
  const expected = digest(apiToken);
  return (header) => {
    const match = /^bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!match) throw new ApiError({ code: "unauthorized", status: 401, message: "Missing bearer token" });
    if (!timingSafeEqual(digest(match[1]!), expected)) throw new ApiError({ code: "unauthorized", status: 401, message: "Invalid token" });
  };
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
