import { ApiDateTime, ApiUuid } from '../../common/api-property-formats.js';
import type { MessageRole } from '../../messages/message.js';

// Success bodies of the two seed contracts, field for field as their READMEs give them.

/** Quick-chat: `POST /api/v1/accounts/register/`. */
export class QuickChatRegisteredDto {
  message!: 'User created successfully.';
}

/** Quick-chat: `POST /api/v1/accounts/login/`. */
export class QuickChatLoginDto {
  /** A personal token: send it as `Authorization: Token <token>`. It works until logout. */
  token!: string;

  @ApiUuid()
  user_id!: string;

  username!: string;
  message!: 'User logged in successfully.';
}

/** Quick-chat: `POST /api/v1/accounts/logout/`. */
export class QuickChatLoggedOutDto {
  message!: 'Successfully logged out.';
}

/** Quick-chat: `POST /api/v1/chat/`. */
export class QuickChatReplyDto {
  /** The session the exchange was added to (a new one when none was given). */
  @ApiUuid()
  session_id!: string;

  /** The assistant's answer. */
  message!: string;
}

/** Quick-chat: one entry of `GET /api/v1/chat/chats-history/`. */
export class QuickChatHistoryEntryDto {
  @ApiUuid()
  session_id!: string;

  @ApiDateTime()
  created_at!: string;
}

/** One message of a quick-chat transcript. */
export class QuickChatTranscriptMessageDto {
  role!: MessageRole;
  content!: string;

  @ApiDateTime()
  timestamp!: string;
}

/** Quick-chat: `GET /api/v1/chat/chats/{session_id}/`. */
export class QuickChatTranscriptDto {
  @ApiUuid()
  session_id!: string;

  @ApiDateTime()
  created_at!: string;

  /** Oldest first. */
  messages!: QuickChatTranscriptMessageDto[];
}

/** Sessions seed: `POST /register/`. */
export class SeedRegisteredDto {
  username!: string;

  /** Empty when none was given. */
  email!: string;
}

/** Sessions seed: SimpleJWT's token pair (`/login/`, `/api/token/`, `/api/token/refresh/`). */
export class SimpleJwtPairDto {
  /** The refresh token; single use: `/api/token/refresh/` rotates it. */
  refresh!: string;

  /** The access token: send it as `Authorization: Bearer <access>`. */
  access!: string;
}

/** Sessions seed: a chat session of `/chatsessions/`. */
export class SeedChatSessionDto {
  @ApiUuid()
  id!: string;

  /** The owner's user id. */
  @ApiUuid()
  user!: string;

  title!: string | null;

  @ApiDateTime()
  started_at!: string;

  @ApiDateTime()
  updated_at!: string;
}

/** Sessions seed: one exchange (a prompt and its answer) of `/chatsessions/{id}/messages/`. */
export class SeedExchangeDto {
  /** The id of the prompt's message. */
  @ApiUuid()
  id!: string;

  /** The session's id. */
  @ApiUuid()
  session!: string;

  prompt!: string;

  /** The assistant's answer. */
  response!: string;

  @ApiDateTime()
  created_at!: string;
}
