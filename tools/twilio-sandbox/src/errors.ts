/** Twilio's JSON error shape and the errors the sandbox produces. */

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export class TwilioApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON(): TwilioErrorBody {
    return {
      code: this.code,
      message: this.message,
      more_info: `https://www.twilio.com/docs/errors/${this.code}`,
      status: this.status,
    };
  }
}

export const authError = () =>
  new TwilioApiError(401, 20003, 'Authenticate', { 'www-authenticate': 'Basic realm="Twilio API"' });

export const notFound = (path: string) =>
  new TwilioApiError(404, 20404, `The requested resource ${path} was not found`);

export const methodNotAllowed = (method: string) =>
  new TwilioApiError(405, 20004, `Method not allowed: ${method}`);

export const badRequest = (code: number, message: string) => new TwilioApiError(400, code, message);

/** Error injected by POST /__admin/faults `api`. */
export function injectedError(status: number): TwilioApiError {
  if (status === 429) {
    return new TwilioApiError(429, 20429, 'Too Many Requests', { 'retry-after': '1' });
  }
  if (status === 503) return new TwilioApiError(503, 20503, 'Service unavailable');
  if (status === 500) return new TwilioApiError(500, 20500, 'Internal Server Error');
  return new TwilioApiError(status, 20000 + (status % 1000), `Injected error ${status}`);
}
