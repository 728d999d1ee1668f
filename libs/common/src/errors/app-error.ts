import { ErrorCode, statusForCode } from './error-codes';

export interface FieldError {
  field: string;
  messages: string[];
}

/** The wire form of an error, as it crosses RabbitMQ and as the gateway renders it. */
export interface SerializedAppError {
  code: ErrorCode;
  message: string;
  status: number;
  details?: FieldError[] | Record<string, unknown>;
  /** The underlying failure, for dead-letter headers and logs; never rendered to API clients. */
  internal?: string;
}

/**
 * A business error with a stable code. Thrown anywhere (HTTP controller, RPC
 * handler, event handler); never retried by the broker, since retrying cannot
 * change the answer.
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldError[] | Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = statusForCode(code);
  }

  toJSON(): SerializedAppError {
    return {
      code: this.code,
      message: this.message,
      status: this.status,
      ...(this.details ? { details: this.details } : {}),
    };
  }

  static from(serialized: SerializedAppError): AppError {
    return new AppError(serialized.code, serialized.message, serialized.details);
  }

  static isSerialized(value: unknown): value is SerializedAppError {
    return (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as SerializedAppError).code === 'string' &&
      typeof (value as SerializedAppError).message === 'string'
    );
  }
}
