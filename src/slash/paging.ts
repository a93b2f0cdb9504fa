import { badInput } from "../errors.ts";
import { quote, type ParsedArguments } from "./grammar.ts";

/** Rows on one page of a list answer. */
export const PAGE_SIZE = 20;

/** The hidden filters that carry paging state in a `Next page` button. */
export const PAGING_FILTERS = { after: null, page: null } as const;

/** The page number a request asks for (1 when none). */
export function pageNumber(args: ParsedArguments): number {
  const raw = args.filters.page;
  if (raw === undefined) return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw badInput("`page:` takes a whole number from 1.");
  return n;
}

/** The command text as the user typed it, without the paging filters. */
export function argumentText(args: ParsedArguments): string {
  const parts = [
    ...args.positional.map(quote),
    ...Object.entries(args.filters)
      .filter(([key]) => !(key in PAGING_FILTERS))
      .map(([key, value]) => `${key}:${quote(value)}`),
    ...[...args.flags],
    ...args.rest.map(quote),
  ];
  return parts.join(" ");
}

/** The command that shows the page after this one. */
export function nextPageCommand(command: string, args: ParsedArguments, cursor: string): string {
  const text = argumentText(args);
  return `${command}${text ? ` ${text}` : ""} after:${cursor} page:${pageNumber(args) + 1}`;
}
