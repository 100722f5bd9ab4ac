#!/usr/bin/env node
// The pvboot command. The CLI and the emulator harness are TypeScript, run through tsx.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
