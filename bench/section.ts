import type { Figure } from "./report.ts";
import type { ScaleBuilder, ScaleDatabase, ScaleSizes } from "./scale-db.ts";
import type { SlackStandIn } from "./slack-stand-in.ts";

/** The options of one benchmark run, from the command line. */
export interface BenchOptions {
  quick: boolean;
  /** The scale database most sections use. */
  scale: ScaleSizes;
  /** Requests of each kind per series (slash commands, growth). */
  requests: number;
  /** Seconds one kind of request may take in a series before it leaves the rotation (after 20 requests). */
  kindBudgetSeconds: number;
  /** Requests of each kind not counted at the start of a series. */
  warmup: number;
  /** Integration counts of the growth series. */
  growth: number[];
  /** Runs per integration in the growth databases. */
  growthRuns: number;
  /** Requests for the memory figure. */
  memoryRequests: number;
  /** Concurrent slash commands of the load test, and how many waves of them. */
  concurrency: number;
  waves: number;
  /** Run events of one POST /api/runs batch. */
  batchSize: number;
  /** Write CPU profiles of the measured processes and summarise them. */
  cpuProf: boolean;
  builder: ScaleBuilder;
  rebuild: boolean;
  /** Sections to run, by key. */
  sections: string[];
  /** Where the figures go as JSON. */
  json?: string;
  /** A PostgreSQL server for the sections that measure on it (fresh databases are made there and dropped). */
  databaseUrl?: string;
}

/** What every section gets: options, the shared Slack stand-in, the scale database, progress lines. */
export interface BenchContext {
  options: BenchOptions;
  standIn: SlackStandIn;
  /** The default scale database (built on first use, then reused). */
  mainScale(): Promise<ScaleDatabase>;
  /** A scale database of other sizes (built on first use, then reused). */
  scale(sizes: ScaleSizes): Promise<ScaleDatabase>;
  /** Where a section's CPU profiles go, when --cpu-prof is on. */
  profileDir(section: string): string | undefined;
  progress(message: string): void;
  /** Text lines for the report below the table (profiles, notes). */
  notes: string[];
}

/** One numbered part of the benchmark. */
export interface Section {
  key: string;
  title: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}
