import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Chatbot backend')
    .setDescription(
      'Accounts (JWT), chat sessions with memory, and answers from OpenAI, Gemini or any OpenAI-compatible server. ' +
        'Native API under /api/v1; the two seed contracts (quick-chat and /chatsessions) are served unchanged.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'Authorization', description: 'Token <token>' }, 'token')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Swagger UI at /docs, the OpenAPI JSON at /docs-json. */
export function setUpSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
