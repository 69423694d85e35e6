import { runtimeCommand } from "./runtime-command.ts";

export default runtimeCommand("release");
