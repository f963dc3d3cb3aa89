import { BadRequestException, NotFoundException } from '@nestjs/common';

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
