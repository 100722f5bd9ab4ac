// An asc transform that makes pvboot's runtime (src/lib/runtime.ts) the one a "runtime": "stub"
// build compiles: the stub's index imports it (as ~lib/rt/pvboot) instead of the stub, before
// anything is parsed. Every
// asconfig of the project names it ("transform"). Why not "runtime": "src/lib/runtime": asc
// takes any runtime other than stub and minimal for a collecting one and adds a shadow stack
// for its roots to every function that holds a reference (the core's code went from 129 KiB
// to 245 KiB); as the stub, the runtime gets the stub's code generation.
import { readFileSync } from "node:fs";
import { libraryFiles } from "assemblyscript/asc";

libraryFiles["rt/pvboot"] = readFileSync(new URL("src/lib/runtime.ts", import.meta.url), "utf8");
libraryFiles["rt/index-stub"] = 'import "./pvboot";\n';

export default class PvbootRuntime {}
