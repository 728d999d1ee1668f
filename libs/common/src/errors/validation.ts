import { ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError, FieldError } from './app-error';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own: FieldError[] = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

export function validationError(errors: ValidationError[]): AppError {
  const details = flatten(errors);
  const fields = details.map((d) => d.field).join(', ');
  return new AppError('validation_failed', `Invalid request: check ${fields}`, details);
}

/**
 * One validation pipe for HTTP bodies and RPC payloads alike. It raises an
 * AppError, which both the HTTP filter and the RPC filter know how to carry,
 * so a bad payload over RabbitMQ is a typed 400 and not "Internal server error"
 * (nestjs/nest#10972).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: validationError,
  });
}
