/**
 * Errors that closeout-health raises on purpose.
 *
 * A `ClientError` is the caller's mistake: its message and details are safe
 * to return, and they name the field and the fix. Anything else is a service
 * fault: handlers log it and return a generic body.
 */

/** One problem in a request or file, located by a JSON path. */
export interface FieldIssue {
  /** JSON path of the value, such as `$.retention_review.retention_until`. */
  path: string;
  /** The expected value and, where known, the value received. */
  message: string;
}

/** Base class of errors caused by the caller's input or request. */
export class ClientError extends Error {
  override readonly name: string = 'ClientError';
  readonly statusCode: number = 400;
  readonly issues: FieldIssue[];

  constructor(
    message: string,
    issues: FieldIssue[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.issues = issues;
  }
}

/** Input that does not match its schema; nothing was stored. */
export class ValidationError extends ClientError {
  override readonly name: string = 'ValidationError';
  override readonly statusCode: number = 422;
}

/** A referenced record that does not exist. */
export class NotFoundError extends ClientError {
  override readonly name: string = 'NotFoundError';
  override readonly statusCode: number = 404;
}

/** A request that conflicts with stored state, such as a live run without a dry run. */
export class ConflictError extends ClientError {
  override readonly name: string = 'ConflictError';
  override readonly statusCode: number = 409;
}

/** A service setting, such as an environment variable, that is missing or invalid. */
export class ConfigurationError extends Error {
  override readonly name: string = 'ConfigurationError';
}
