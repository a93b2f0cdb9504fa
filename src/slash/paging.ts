import { createHash } from "node:crypto";
import { badInput, invalidPageLink } from "../errors.ts";
import { quote, type ParsedArguments } from "./grammar.ts";

/** Rows on one page of a list answer. */
export const PAGE_SIZE = 20;

/** The highest page number a request may ask for. */
const MAX_PAGE = 1_000_000;

/** The hidden filters that carry paging state in a `Next page` button. */
export const PAGING_FILTERS = { after: null, page: null } as const;

/** Which page a request asks for: the keyset cursor to start after, or else how many rows to skip. */
interface PageRequest {
  /** The page number shown in the heading. */
  page: number;
  /** The data layer's keyset cursor (from a `Next page` link). */
  after?: string;
  /** Rows to skip when `page:N` is typed without a link. */
  offset: number;
}

/** The page number a request asks for (1 when none). */
function pageNumber(args: ParsedArguments): number {
  const raw = args.filters.page;
  if (raw === undefined) return 1;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > MAX_PAGE) throw badInput("`page:` takes a whole number from 1.");
  return n;
}

/** The command text as the user typed it, without the paging filters. */
export function argumentText(args: ParsedArguments): string {
  const parts = [
    ...args.positional.map(quote),
    ...Object.entries(args.filters).flatMap(([key, value]) => (key in PAGING_FILTERS || value === undefined ? [] : [`${key}:${quote(value)}`])),
    ...[...args.flags],
    ...args.rest.map(quote),
  ];
  return parts.join(" ");
}

/** A short fingerprint of the command and its filters: a page link only works for the query it was made for. */
function queryKey(command: string, args: ParsedArguments): string {
  return createHash("sha256").update(`${command} ${argumentText(args)}`).digest("base64url").slice(0, 6);
}

/**
 * The page a request asks for. A `Next page` link (`after:KEY.PAGE.CURSOR`) carries the fingerprint of its query,
 * its page number and the data layer's keyset cursor, and is refused when any of them does not check out;
 * `page:N` alone skips N-1 pages.
 */
export function pageRequest(command: string, args: ParsedArguments): PageRequest {
  const typed = pageNumber(args);
  const link = args.filters.after;
  if (link === undefined) return { page: typed, offset: (typed - 1) * PAGE_SIZE };
  const match = /^([A-Za-z0-9_-]{6})\.([1-9]\d{0,6})\.([!-~]{1,400})$/.exec(link);
  const page = Number(match?.[2]);
  const valid =
    match !== null &&
    match[1] === queryKey(command, args) &&
    page >= 2 && page <= MAX_PAGE &&
    (args.filters.page === undefined || typed === page);
  if (!valid) throw invalidPageLink();
  return { page, after: match[3]!, offset: 0 };
}

/** The command that shows the page after `current`, starting after the keyset cursor `cursor`. */
export function nextPageCommand(command: string, args: ParsedArguments, cursor: string, current = pageRequest(command, args).page): string {
  const text = argumentText(args);
  return `${command}${text ? ` ${text}` : ""} after:${queryKey(command, args)}.${current + 1}.${cursor} page:${current + 1}`;
}
