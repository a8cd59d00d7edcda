/**
 * A service-discovery server on 127.0.0.1 for tests: serves a document in the shape of Rubin's
 * Repertoire at `/repertoire/discovery` (replaceable at any time), or fails as a real one can
 * (500, a body that is not JSON, no answer). It also answers TAP sync queries at `/tap/sync`
 * with a small VOTable, so a TAP URL found through discovery can be queried for real.
 * @module
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type DiscoveryMode = "ok" | "500" | "garbage" | "hang";

export interface DiscoveryServer {
  /** URL of the discovery document. */
  url: string;
  /** Base URL of the server (no trailing slash), for URLs inside the document. */
  base: string;
  /** The document served in mode `ok` (replace it to change what the next fetch sees). */
  doc: unknown;
  mode: DiscoveryMode;
  /** Requests for the document, whatever the answer. */
  fetches: number;
  /** TAP queries received (the QUERY parameter of each). */
  queries: string[];
  close(): Promise<void>;
}

/** A Repertoire-like document: `applications`, `datasets.<name>.services.<service>.url`, and fields Troop ignores. */
export function repertoireDocument(base: string, opts: { applications: string[]; datasets?: Record<string, Record<string, string>> }): unknown {
  const datasets = Object.fromEntries(
    Object.entries(opts.datasets ?? {}).map(([name, services]) => [
      name,
      {
        description: `Dataset ${name}`,
        docs_url: `${base}/docs/${name}`,
        services: Object.fromEntries(Object.entries(services).map(([k, url]) => [k, { url, openapi: null, versions: {} }])),
      },
    ]),
  );
  return {
    applications: opts.applications,
    datasets,
    environment_name: "test.example.org",
    influxdb_databases: {},
    services: { internal: { gafaelfawr: { url: `${base}/auth/api/v1` } }, ui: { nublado: { url: `${base}/nb` } } },
  };
}

const VOTABLE = `<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
  <RESOURCE type="results">
    <INFO name="QUERY_STATUS" value="OK"/>
    <TABLE>
      <FIELD name="x" datatype="int"/>
      <DATA><TABLEDATA><TR><TD>1</TD></TR><TR><TD>2</TD></TR></TABLEDATA></DATA>
    </TABLE>
  </RESOURCE>
</VOTABLE>
`;

export async function startDiscoveryServer(): Promise<DiscoveryServer> {
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0];
      if (path === "/repertoire/discovery" && req.method === "GET") {
        d.fetches++;
        if (d.mode === "hang") return void hanging.add(res);
        if (d.mode === "500") return void res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
        if (d.mode === "garbage") return void res.writeHead(200, { "content-type": "application/json" }).end("<html>not json</html>");
        return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(d.doc));
      }
      if (path === "/tap/sync" && req.method === "POST") {
        d.queries.push(new URLSearchParams(body).get("QUERY") ?? "");
        return void res.writeHead(200, { "content-type": "application/x-votable+xml" }).end(VOTABLE);
      }
      res.writeHead(404).end("not found");
    });
  });
  server.on("connection", (s) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const d: DiscoveryServer = {
    url: `${base}/repertoire/discovery`,
    base,
    doc: repertoireDocument(base, { applications: [] }),
    mode: "ok",
    fetches: 0,
    queries: [],
    async close() {
      for (const r of hanging) r.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return d;
}
