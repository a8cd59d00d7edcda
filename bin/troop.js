#!/usr/bin/env node
// Entry point of the `troop` command: runs the compiled CLI (built by `npm run build`).
import("../dist/cli/main.js").then((m) => m.main(process.argv.slice(2)));
