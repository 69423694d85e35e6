import { afterAll } from "bun:test";
import { removeTempDirs } from "./helpers.ts";

// Preloaded for every test file (bunfig.toml): the folders tests make go when the run ends.
afterAll(removeTempDirs);
