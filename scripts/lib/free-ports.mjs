// Purpose: pick TCP ports on 127.0.0.1 for scripts/hub/start.sh and scripts/tap/start.sh.
// usage: node scripts/lib/free-ports.mjs PORT...
//   Each PORT is one that must be free, or 0 for any free port. Prints the ports on one line,
//   or "busy" when a given port is taken.
// A port 0 is answered with a free port outside the kernel's ephemeral range: a port the OS
// handed out (bind to 0, then close) can be taken by any process that binds or connects before
// the server binds it a moment later; ports outside that range are never handed out on their own.
import { readFileSync } from "node:fs";
import net from "node:net";

/** [low, high] of ports that bind(0) and connect() never pick, or null. */
function quietRange() {
  let low, high;
  try {
    [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
  } catch {
    return null;
  }
  if (low - 10000 >= 1000) return [10000, low - 1];
  if (65535 - high >= 1000) return [high + 1, 65535];
  return null;
}

const listen = (port) =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => resolve(server));
  });

async function anyPort(range) {
  for (let i = 0; range && i < 100; i++) {
    const server = await listen(range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1)));
    if (server) return server;
  }
  return listen(0);
}

const range = quietRange();
const held = [];
for (const wanted of process.argv.slice(2).map(Number)) {
  const server = wanted ? await listen(wanted) : await anyPort(range);
  if (!server) {
    console.log("busy");
    break;
  }
  held.push(server);
}
if (held.length === process.argv.length - 2) console.log(held.map((s) => s.address().port).join(" "));
for (const s of held) s.close();
