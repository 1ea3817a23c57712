import type { z } from 'zod';
import { type FieldIssue, ValidationError } from './errors.ts';

/** Formats a zod issue path as a JSON path: `$.files[0].sha256`. */
export function toJsonPath(path: readonly PropertyKey[]): string {
  let jsonPath = '$';
  for (const segment of path) {
    if (typeof segment === 'number') {
      jsonPath += `[${segment}]`;
    } else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(segment))) {
      jsonPath += `.${String(segment)}`;
    } else {
      jsonPath += `[${JSON.stringify(String(segment))}]`;
    }
  }
  return jsonPath;
}

/** Converts zod issues into field issues with JSON paths. */
export function toFieldIssues(
  issues: readonly z.core.$ZodIssue[],
): FieldIssue[] {
  return issues.map((issue) => ({
    path: toJsonPath(issue.path),
    message: issue.message,
  }));
}

/**
 * Parses `input` with `schema` and returns the typed value.
 *
 * @param subject - what is being parsed, for the error message, such as
 *   `evidence package` or `request body`.
 * @throws ValidationError listing every invalid field with its JSON path.
 */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  subject: string,
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) {
    return result.data;
  }
  const issues = toFieldIssues(result.error.issues);
  const first = issues[0];
  const summary = first ? ` ${first.path}: ${first.message}` : '';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new ValidationError(`Invalid ${subject}.${summary}${more}`, issues);
}

/**
 * Parses JSON text, reporting a syntax error as a validation error.
 *
 * @throws ValidationError when `text` is not valid JSON.
 */
export function parseJson(text: string, subject: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ValidationError(
      `Invalid ${subject}: the text is not valid JSON (${reason}). Send a JSON document.`,
      [{ path: '$', message: `expected JSON, ${reason}` }],
    );
  }
}
