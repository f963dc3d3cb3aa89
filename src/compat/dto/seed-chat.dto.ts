import { ApiHideProperty, ApiProperty } from '@nestjs/swagger';
import { Allow, IsOptional, IsString, MaxLength } from 'class-validator';
import { messageFieldErrors } from '../seed-message.js';

/** Quick-chat seed: `POST /api/v1/chat/`. */
export class QuickChatMessageDto {
  /** Omitted or null: a new session. */
  @IsOptional()
  @IsString({ message: 'Not a valid string.' })
  @MaxLength(1024, { message: 'Ensure this field has no more than 1024 characters.' })
  session_id?: string | null;

  /** The message; 1–100,000 characters. Missing or blank: 400 `{"error": ...}`. */
  @ApiProperty({ type: String, required: true, minLength: 1, maxLength: 100_000 })
  @Allow()
  message?: unknown;

  static validationError = messageFieldErrors('message');
}

/** Sessions seed: `POST/PUT/PATCH /chatsessions/{id}/`. */
export class SeedSessionDto {
  @IsOptional()
  @IsString({ message: 'Not a valid string.' })
  @MaxLength(200, { message: 'Ensure this field has no more than 200 characters.' })
  title?: string | null;

  /** Read-only fields of the session object, accepted and ignored so a client can send back what it got. */
  @ApiHideProperty() @Allow() id?: unknown;
  @ApiHideProperty() @Allow() user?: unknown;
  @ApiHideProperty() @Allow() started_at?: unknown;
  @ApiHideProperty() @Allow() updated_at?: unknown;
}

/** Sessions seed: `POST /chatsessions/{id}/messages/`. Missing or blank: 400 `{"error": "Prompt cannot be empty"}`. */
export class SeedPromptDto {
  /** The question; 1–100,000 characters. */
  @ApiProperty({ type: String, required: true, minLength: 1, maxLength: 100_000 })
  @Allow()
  prompt?: unknown;

  static validationError = messageFieldErrors('prompt');
}
