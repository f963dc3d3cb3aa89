import { applyDecorators } from '@nestjs/common';
import { ApiConsumes, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsDefined,
  IsEmail,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { USERNAME_PATTERN } from '../../auth/dto/auth.dto.js';
import { NormalizedUsername } from '../../users/username.js';

/** The seed routes read forms as well as JSON, as Django REST Framework's default parsers do. */
export const ApiDrfBodies = (): ClassDecorator =>
  ApiConsumes('application/json', 'application/x-www-form-urlencoded');

/**
 * A required string field validated with Django REST Framework's messages, so the seeds' clients get
 * the error bodies they were written against: `{"field": ["This field is required."]}` and friends.
 */
export function DrfRequiredString(maxLength: number): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ minLength: 1, maxLength }),
    IsDefined({ message: 'This field is required.' }),
    IsString({ message: 'Not a valid string.' }),
    IsNotEmpty({ message: 'This field may not be blank.' }),
    MaxLength(maxLength, { message: `Ensure this field has no more than ${maxLength} characters.` }),
  );
}

/** Django's username rule, with its message, checked on the NFKC-normalised name. */
export function DrfUsername(): PropertyDecorator {
  return applyDecorators(
    NormalizedUsername(),
    DrfRequiredString(150),
    Matches(USERNAME_PATTERN, {
      message:
        'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
    }),
  );
}

/** An optional email, blank allowed (Django's `EmailField(blank=True)`). */
export function DrfOptionalEmail(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ maxLength: 254, description: 'An email address, or empty.' }),
    IsOptional(),
    ValidateIf((_, value) => value !== ''),
    IsString({ message: 'Not a valid string.' }),
    IsEmail({}, { message: 'Enter a valid email address.' }),
    MaxLength(254, { message: 'Ensure this field has no more than 254 characters.' }),
  );
}
