/**
 * The GitHub webhook route: `POST /github/webhook`, public (a delivery is authenticated by its
 * signature, not a token), body received raw for the HMAC. One service call.
 * @module
 */
import { webhookResultSchema } from "../../models/github.js";
import type { WebhookHandler } from "../../services/github/webhook.js";
import type { RouteSpec } from "../route-spec.js";

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export function githubRoutes(webhook: WebhookHandler): RouteSpec[] {
  return [
    {
      method: "POST",
      path: "/github/webhook",
      tag: "github",
      summary: "GitHub App deliveries (signed with the webhook secret): push refreshes notebook flocks; pull requests and re-requests queue checks",
      permission: "public",
      rawBody: true,
      response: webhookResultSchema,
      status: 202,
      handler: ({ body, reply }) => {
        const h = reply.request.headers;
        return webhook.handle({ event: header(h["x-github-event"]), id: header(h["x-github-delivery"]), signature: header(h["x-hub-signature-256"]), body: body as Buffer | undefined });
      },
    },
  ];
}
