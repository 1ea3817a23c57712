import { tz } from '@date-fns/tz';
import { addDays, differenceInCalendarDays, format, parseISO } from 'date-fns';
import { ValidationError } from '../errors.ts';

const utc = tz('UTC');

/**
 * Checks that `zone` is an IANA time zone name that this runtime supports.
 *
 * @throws ValidationError naming the zone when it is unknown.
 */
export function assertTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new ValidationError(
      `Unknown time zone "${zone}". Use an IANA name such as UTC or Europe/Berlin.`,
      [
        {
          path: '$.zone',
          message: `expected an IANA time zone, received "${zone}"`,
        },
      ],
    );
  }
}

/** Returns the calendar date (`YYYY-MM-DD`) of an instant in a time zone. */
export function calendarDateIn(instant: Date, zone: string): string {
  return format(instant, 'yyyy-MM-dd', { in: tz(zone) });
}

/**
 * Counts calendar days from `from` to `to`, both `YYYY-MM-DD`. Negative when
 * `to` is earlier. Both dates are read as plain dates, so daylight-saving
 * changes in any zone cannot shift the count.
 */
export function daysBetween(from: string, to: string): number {
  for (const date of [from, to]) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) {
      throw new RangeError(
        `Invalid calendar date "${date}"; expected YYYY-MM-DD`,
      );
    }
  }
  return differenceInCalendarDays(
    parseISO(to, { in: utc }),
    parseISO(from, { in: utc }),
    {
      in: utc,
    },
  );
}

/** Returns the calendar date `days` after `date`, both `YYYY-MM-DD`. */
export function addCalendarDays(date: string, days: number): string {
  return format(
    addDays(parseISO(date, { in: utc }), days, { in: utc }),
    'yyyy-MM-dd',
    {
      in: utc,
    },
  );
}
