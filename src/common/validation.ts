import {
  ArgumentMetadata,
  HttpException,
  ValidationError,
  ValidationPipe,
  type ValidationPipeOptions,
} from '@nestjs/common';
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

/**
 * A DTO class that recognises its commonest valid input in plain code: `fastParse` returns the DTO, or
 * undefined whenever it is not certain, and class-validator then decides (and words any error). It may
 * only accept a subset of what the decorators accept; the DTO's spec checks that both agree.
 */
export interface FastParsable<T> {
  fastParse(value: unknown): T | undefined;
}

/**
 * A DTO of a seed view that checks some fields by hand and answers their errors in its own shape (e.g.
 * `{"error": ...}`): given the field errors and the raw input, the exception to throw instead, if any.
 */
export interface OwnValidationErrors {
  validationError(errors: FieldError[], value: unknown): HttpException | undefined;
}

type Dto = Partial<FastParsable<unknown> & OwnValidationErrors>;

/**
 * The application's pipe: refuses text PostgreSQL cannot store anywhere in a body or query, and lets the
 * hot routes' DTOs skip class-transformer and class-validator (about a tenth of a request's CPU).
 */
class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const dto = metadata.metatype as Dto | undefined;
    try {
      if (metadata.type === 'body' || metadata.type === 'query') {
        const errors = unstorableTextErrors(value);
        if (errors.length > 0) throw new RequestValidationException(errors);
      }
      return dto?.fastParse?.(value) ?? (await super.transform(value, metadata));
    } catch (error) {
      if (!(error instanceof RequestValidationException)) throw error;
      throw dto?.validationError?.(error.fieldErrors, value) ?? error;
    }
  }
}

/** ES2024's String.prototype.isWellFormed (Node.js 20+), not yet in this project's TypeScript lib. */
const isWellFormed = (text: string): boolean =>
  (text as unknown as { isWellFormed(): boolean }).isWellFormed();

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why PostgreSQL's text cannot hold `text`, in Django REST Framework's words (the seeds' clients read
 * them): it refuses NUL, and UTF-8 has no encoding for an unpaired UTF-16 surrogate (pg would store
 * U+FFFD instead).
 */
export function unstorableTextReason(text: string): string | undefined {
  if (text.includes('\0')) return 'Null characters are not allowed.';
  // native: 0.19 ms where the pattern takes 1.3 ms, on 90,000 characters of emoji
  if (isWellFormed(text)) return undefined;
  const surrogate = LONE_SURROGATE.exec(text)?.[0];
  if (surrogate === undefined) return undefined;
  const code = surrogate.charCodeAt(0).toString(16).toUpperCase();
  return `Surrogate characters are not allowed: U+${code}.`;
}

/**
 * A field error for each string in a parsed body or query that PostgreSQL could not store, nested
 * fields joined by dots as in {@link toFieldErrors}. Iterative, so that no nesting overflows the stack.
 */
export function unstorableTextErrors(value: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const pending: [unknown, string][] = [[value, '']];
  for (let i = 0; i < pending.length; i += 1) {
    const [item, field] = pending[i];
    if (typeof item === 'string') {
      const message = unstorableTextReason(item);
      if (message) errors.push({ field, message });
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item)) pending.push([child, field ? `${field}.${key}` : key]);
    }
  }
  return errors;
}

/** Own enumerable keys, when `value` is a plain object (a parsed JSON body or query string) with no others. */
export function hasOnlyKeys(value: unknown, allowed: readonly string[]): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) if (!allowed.includes(key)) return false;
  return true;
}

export const VALIDATION_OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  stopAtFirstError: true,
  exceptionFactory: (errors) => new RequestValidationException(toFieldErrors(errors)),
};

export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe(VALIDATION_OPTIONS);
}
