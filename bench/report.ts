/** One figure of the benchmark: what was measured, its value, and how it compares with its target. */
export interface Figure {
  /** The section it belongs to ("1 slash", "4 growth", …). */
  section: string;
  /** What was measured, in the platform's words ("list, all integrations: median"). */
  name: string;
  /** The value, already rounded for reading; a string for figures that are not numbers. */
  value: number | string;
  unit: string;
  /** The target in words ("≤ 1.5×"), when there is one. */
  target?: string;
  /** Whether the target was met; undefined when there is no target or nothing was measured. */
  met?: boolean;
  note?: string;
}

/** Rounds for display: three significant digits below 100, whole numbers above. */
function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(3));
}

function verdict(figure: Figure): string {
  if (figure.met === undefined) return figure.target ? "—" : "";
  return figure.met ? "met" : "MISSED";
}

/** The figures as an aligned plain-text table, one line each. */
export function formatTable(figures: Figure[]): string {
  const header = ["section", "measure", "value", "target", "verdict", "note"];
  const rows = figures.map((figure) => [
    figure.section,
    figure.name,
    typeof figure.value === "number" ? `${round(figure.value).toLocaleString("en")} ${figure.unit}`.trim() : `${figure.value}${figure.unit ? ` ${figure.unit}` : ""}`,
    figure.target ?? "",
    verdict(figure),
    figure.note ?? "",
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 2 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ").trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}
