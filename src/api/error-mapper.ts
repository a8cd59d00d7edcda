/**
 * The one error-to-HTTP mapper: ApiError → its status and `{code, message, errors}`; Fastify's
 * own errors (bad JSON, body too large, unknown route) → stable codes; anything else → 500
 * `internal_error` with no detail (logged, never shown).
 * @module
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { ApiError, type ApiErrorCode } from "../errors.js";

export interface ErrorBody {
  code: ApiErrorCode;
  message: string;
  errors: { path: string; message: string }[];
}

export function errorHandler(logger: Logger) {
  return (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const body = toBody(err);
    if (body.status >= 500) logger.error({ err: err.message, url: request.routeOptions.url }, "request failed");
    if (body.status === 401) reply.header("www-authenticate", 'Bearer realm="troop"');
    return reply.status(body.status).send(body.body);
  };
}

function toBody(err: FastifyError | Error): { status: number; body: ErrorBody } {
  if (err instanceof ApiError) return { status: err.status, body: { code: err.code, message: err.message, errors: err.errors } };
  const code = (err as FastifyError).code;
  if (code === "FST_ERR_CTP_INVALID_JSON_BODY" || (err instanceof SyntaxError && (err as FastifyError).statusCode === 400)) {
    return { status: 400, body: { code: "invalid_json", message: "The request body is not valid JSON", errors: [] } };
  }
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") return { status: 413, body: { code: "body_too_large", message: "The request body is too large", errors: [] } };
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || code === "FST_ERR_CTP_EMPTY_JSON_BODY") {
    return { status: 415, body: { code: "invalid_request", message: "Send a JSON body with content-type application/json", errors: [] } };
  }
  const status = (err as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) return { status, body: { code: "invalid_request", message: "Invalid request", errors: [] } };
  return { status: 500, body: { code: "internal_error", message: "Internal error; see the service log", errors: [] } };
}

/** Body for routes that do not exist. */
export function notFoundBody(method: string, url: string): ErrorBody {
  return { code: "not_found", message: `No route ${method} ${url.split("?")[0]}`, errors: [] };
}
