import { TZDate } from "@date-fns/tz";
import { format } from "date-fns";

/**
 * The initials of a name: the first letter of each word, upper case, in any script
 * ("Jane van Doe" → "JVD", "Анна Каренина" → "АК"). Undefined when the name has no letter.
 */
function initials(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  const letters = name
    .trim()
    .split(/\s+/u)
    .map((word) => word.match(/[\p{L}\p{N}]/u)?.[0])
    .filter((letter): letter is string => Boolean(letter));
  return letters.length ? letters.join("").toLocaleUpperCase() : undefined;
}

/**
 * The platform's default connector auth name:
 * `{connector_name} Login authorized on {yyyy-MM-dd in TZ} by {initials of embed_user_name}`,
 * with the embed_user_id where there is no name.
 */
export function defaultConnectorAuthName(connectorName: string, authorizedAt: Date, timeZone: string, embedUserName: string | null | undefined, embedUserId: string): string {
  const date = format(new TZDate(authorizedAt, timeZone), "yyyy-MM-dd");
  return `${connectorName} Login authorized on ${date} by ${initials(embedUserName) ?? embedUserId}`;
}
