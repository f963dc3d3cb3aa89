import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, RequestValidationException } from './exceptions.js';

/** Flattens class-validator errors into `{field, message}` pairs, nested fields joined by dots. */
export function toFieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({
      field,
      message: rule === 'whitelistValidation' ? 'This field is not allowed.' : message,
    }));
    return [...own, ...toFieldErrors(error.children ?? [], field)];
  });
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => new RequestValidationException(toFieldErrors(errors)),
  });
}
