import { assignCommand } from "./assign-command.ts";

export default assignCommand("unassign");
