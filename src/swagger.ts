import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { mendNullables } from './openapi-nullable.js';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Chatbot backend')
    .setDescription(
      'Accounts (JWT), chat sessions with memory, and answers from OpenAI, Gemini, Anthropic or any ' +
        'OpenAI-compatible server. ' +
        'Native API under /api/v1; the two seed contracts (quick-chat and /chatsessions) are served unchanged.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        description:
          'Enter `Token <token>`, with the personal token from `POST /api/v1/accounts/login/`. ' +
          'Accepted wherever a Bearer access token is.',
      },
      'token',
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'cbk_…',
        description:
          'A personal API key (`cbk_…`, from `POST /api/v1/api-keys`): the gateway takes nothing else.',
      },
      'api-key',
    )
    .addTag('auth', 'Native accounts: register, log in, rotating refresh tokens (JWT bearer).')
    .addTag('chat sessions', 'Native chat sessions of the caller, keyset-paginated.')
    .addTag('messages', 'Messages of a session; answers as JSON or streamed as Server-Sent Events.')
    .addTag('usage', "The caller's account, token budgets and usage (UTC days).")
    .addTag('search', "Full-text search over the caller's messages and session titles.")
    .addTag(
      'api keys',
      'Personal API keys (`cbk_…`) for the OpenAI-compatible gateway: shown once, stored as a digest, ' +
        'revocable. A key is refused on every other route.',
    )
    .addTag(
      'export and import',
      "Sessions out (`chatbot-export/1`, Markdown, JSON Lines) and in (ours, or ChatGPT's `conversations.json`).",
    )
    .addTag(
      'seed-compatible accounts',
      "The two seed contracts' accounts: quick-chat `/api/v1/accounts/*` (personal `Token`), and the " +
        "sessions seed's `/register/`, `/login/`, `/api/token/*` (SimpleJWT). Errors in their shapes.",
    )
    .addTag(
      'seed-compatible chat',
      "Quick-chat `/api/v1/chat/*` (`Token <token>` or `Bearer <jwt>`) and the sessions seed's " +
        '`/chatsessions/*` (also under `/api/`). Paths answer with and without the trailing slash.',
    )
    .addTag(
      'gateway',
      'OpenAI-compatible gateway at `/v1` (point an OpenAI SDK or Open WebUI at `http://host:3000/v1`): ' +
        "`provider/model` ids, API keys only, errors in OpenAI's shape, usage and budgets as chat turns.",
    )
    .addTag('admin', 'Administrators only.')
    .addTag('health', 'Liveness and readiness.')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  mendNullables(document);
  return document;
}

/** Swagger UI at /docs, the OpenAPI JSON at /docs-json. */
export function setUpSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    // validatorUrl null: no badge fetched from validator.swagger.io (CSP's img-src would block it anyway).
    swaggerOptions: { persistAuthorization: true, validatorUrl: null },
  });
}
