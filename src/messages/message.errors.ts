import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import { RequestValidationException } from '../common/exceptions.js';

/** 404 for an unknown or malformed message id, or one of another session. */
export class MessageNotFoundException extends NotFoundException {
  constructor() {
    super('Message not found.');
  }
}

/** 400 for an edit of an answer or a regeneration of a question. */
export class WrongRoleException extends BadRequestException {
  constructor(action: 'edit' | 'regenerate') {
    super(
      action === 'edit'
        ? 'Only a question (a user message) can be edited; regenerate an answer instead.'
        : 'Only an answer (an assistant message) can be regenerated; edit a question instead.',
    );
  }
}

/** A 400 naming a field that should have named a message of the session. */
export function notAMessageOf(field: string): RequestValidationException {
  return new RequestValidationException([{ field, message: `${field} must be a message of this session` }]);
}

/** 409 for a stop of an answer that has already finished (complete, failed or stopped). */
export class AnswerFinishedException extends ConflictException {
  constructor() {
    super('The answer has already finished: there is nothing to stop.');
  }
}
