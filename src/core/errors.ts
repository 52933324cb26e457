// Error types that cross the activity/workflow boundary. Permanent ones are
// non-retryable so a bad input fails the job in seconds instead of after backoff.
import { ApplicationFailure } from '@temporalio/common';

export const ErrorType = {
  InvalidJob: 'InvalidJob',
  InvalidMedia: 'InvalidMedia',
  MissingObject: 'MissingObject',
  AccessDenied: 'AccessDenied',
  VerifyFailed: 'VerifyFailed',
} as const;
export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

/** Retry policies list these so that a retry never hides a permanent error. */
export const NON_RETRYABLE_ERROR_TYPES: string[] = [
  ErrorType.InvalidJob,
  ErrorType.InvalidMedia,
  ErrorType.MissingObject,
  ErrorType.AccessDenied,
];

export function permanentError(type: ErrorTypeName, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

export function invalidJob(reason: string): ApplicationFailure {
  return permanentError(ErrorType.InvalidJob, `invalid job: ${reason}`);
}

export function invalidMedia(objectUrl: string, reason: string): ApplicationFailure {
  return permanentError(ErrorType.InvalidMedia, `${objectUrl} is not a usable video: ${reason}`);
}

export function missingObject(objectUrl: string): ApplicationFailure {
  return permanentError(ErrorType.MissingObject, `${objectUrl} does not exist; check the URL or upload the object first`);
}
