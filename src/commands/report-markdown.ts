import type { Report } from "../core/compat/schema.ts";

/** A report as a person reads it in an issue, with the JSON to add beside it. */
export function reportMarkdown(reports: readonly Report[]): string {
  return reports
    .map((r) => {
      const rows = [
        ["Device", `${r.device.name} (\`${r.device.vendor ?? "?"}:${r.device.device ?? "?"}\`, subsystem \`${r.device.subvendor ?? "?"}:${r.device.subdevice ?? "?"}\`)`],
        ...(r.with.length > 0 ? [["Passed with", r.with.map((w) => w.name).join(", ")]] : []),
        ["Result", `**${r.result}**`],
        ["Guest", r.guest ?? "?"],
        ["FreeBSD", `${r.host.release ?? "?"} ${r.host.arch ?? ""}, ${r.host.cpu ?? "?"} CPU, ${r.host.iommu ?? "no IOMMU table seen"}`],
        ["Manager", r.manager ?? "?"],
        ["Passed as", `${r.passed.grouping ?? "?"}${r.passed.options.length > 0 ? `, ${r.passed.options.join(", ")}` : ""}, wired memory: ${r.passed.wired ?? "?"}`],
        ["Reset", r.reset ?? "?"],
        ...(r.symptoms.length > 0 ? [["Symptoms", r.symptoms.map((s) => s.replace(/\|/g, "\\|")).join("<br>")]] : []),
      ];
      return [`### pptctl report: ${r.device.name} — ${r.result} in ${r.guest ?? "?"}`, "", "| | |", "| --- | --- |", ...rows.map(([k, v]) => `| ${k} | ${v} |`), "", "```json", JSON.stringify(r, null, 2), "```", ""].join("\n");
    })
    .join("\n");
}
