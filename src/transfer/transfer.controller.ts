import { Readable } from 'node:stream';
import {
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import {
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiOkResponse,
  ApiParam,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../auth/auth-user.js';
import { contentTypeOf, STREAMED_BODY } from '../common/body-parsers.js';
import { ApiProblemResponses } from '../common/api-errors.decorator.js';
import { ApiCallerAuth, CurrentUser } from '../common/decorators.js';
import { ExportQueryDto, ImportProblemDto, ImportReportDto, SessionExportDto } from './dto/transfer.dto.js';
import { ExportService } from './export.service.js';
import { importFileOf } from './import-body.js';
import { ImportService } from './import.service.js';
import { toMarkdown } from './session-export.js';

const EXPORT_SCHEMA = { $ref: getSchemaPath(SessionExportDto) };

@ApiTags('export and import')
@ApiCallerAuth()
@ApiExtraModels(SessionExportDto)
@ApiProblemResponses(401)
@Controller('api/v1')
export class TransferController {
  constructor(
    private readonly exports: ExportService,
    private readonly imports: ImportService,
  ) {}

  /**
   * Downloads one session: `format=json` (default) its whole tree in the `chatbot-export/1` format, which
   * `POST /api/v1/import` reads back; `format=markdown` its active path, to read.
   */
  @Get('chat-sessions/:id/export')
  @ApiParam({ name: 'id', format: 'uuid', description: 'The chat session id.' })
  @ApiOkResponse({
    description: 'The session, as an attachment (`Content-Disposition`).',
    headers: {
      'Content-Disposition': {
        required: true,
        schema: { type: 'string', example: 'attachment; filename="chat-….json"' },
      },
    },
    content: {
      'application/json': { schema: EXPORT_SCHEMA },
      'text/markdown': { schema: { type: 'string', example: '# Title\n\n## User\n\n…' } },
    },
  })
  @ApiProblemResponses(
    [
      400,
      '`format` is neither `json` nor `markdown`.',
      {
        detail: 'Invalid format.',
        errors: [{ field: 'format', message: 'format must be one of the following values: json, markdown' }],
      },
    ],
    404,
  )
  async exportSession(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Query() query: ExportQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionExportDto | string> {
    const exported = await this.exports.session(caller.id, id);
    const markdown = query.format === 'markdown';
    void reply
      .header('content-disposition', `attachment; filename="chat-${exported.id}.${markdown ? 'md' : 'json'}"`)
      .header('content-type', markdown ? 'text/markdown; charset=utf-8' : 'application/json; charset=utf-8');
    return markdown ? toMarkdown(exported) : exported;
  }

  /**
   * Downloads every session of the caller as JSON Lines: one `chatbot-export/1` session per line, most
   * recently active first, streamed as it is read (memory stays flat however many there are).
   */
  @Get('export')
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({
    description: 'One session object (the `SessionExportDto` schema) per line, as an attachment.',
    headers: {
      'Content-Disposition': {
        required: true,
        schema: { type: 'string', example: 'attachment; filename="chatbot-export.jsonl"' },
      },
    },
    content: { 'application/x-ndjson': { schema: EXPORT_SCHEMA } },
  })
  @Header('content-disposition', 'attachment; filename="chatbot-export.jsonl"')
  exportAll(@CurrentUser() caller: AuthUser): StreamableFile {
    const lines = Readable.from(this.exports.lines(caller.id), { objectMode: false });
    return new StreamableFile(lines, { type: 'application/x-ndjson; charset=utf-8' });
  }

  /**
   * Imports conversations, each as a new session with its tree, times and active branch: ChatGPT's data
   * export (`conversations.json`, an array of conversations) or our own export (one session, or JSON Lines
   * of them), as the body or as the file of a `multipart/form-data` form, up to 50 MiB, read as it arrives.
   * @remarks Each conversation is imported whole or not at all. One already imported into the account
   * (known by its source id: ChatGPT's conversation id, or the exported session's id) is skipped, so
   * importing a file twice adds nothing. System, tool and hidden messages, nodes without a message, and
   * messages without text are left out (their children follow their nearest kept ancestor), as are
   * images and other non-text parts; `skipped` counts them. A conversation that cannot be imported (a
   * cycle or a parent that is no node in `mapping`, a field of the wrong type) is listed in `errors` with
   * its index and the reason; when none of the file could be imported, the answer is a 400 naming each.
   * A file that is not JSON (anywhere in it), or neither an array nor objects at its top level, is a 400
   * that stores nothing: the file is checked to its end, as it arrives, before any conversation is stored.
   */
  @Post('import')
  @HttpCode(200)
  @RouteConfig(STREAMED_BODY)
  @ApiConsumes('application/json', 'application/x-ndjson', 'multipart/form-data')
  @ApiBody({
    schema: {
      oneOf: [
        EXPORT_SCHEMA,
        { type: 'array', description: "ChatGPT's conversations.json", items: { type: 'object' } },
        { type: 'object', properties: { file: { type: 'string', format: 'binary' } } },
      ],
    },
  })
  @ApiProblemResponses(
    [
      400,
      'The file is not JSON, not of a known shape, or none of its conversations could be imported (each named in `errors`).',
      {
        detail: 'No conversation of the file could be imported.',
        errors: [
          {
            field: '[0]',
            message: 'the nodes form a cycle through a1',
            index: 0,
            title: 'Trip planning',
            reason: 'the nodes form a cycle through a1',
          },
        ],
        schema: ImportProblemDto,
      },
    ],
    [413, 'The file is larger than 50 MiB.', { detail: 'The import file is larger than 50 MiB.' }],
    [
      415,
      'Send the file as `application/json`, `application/x-ndjson` or `multipart/form-data`.',
      { detail: 'Send the file as application/json, application/x-ndjson, or multipart/form-data.' },
    ],
  )
  async import(@CurrentUser() caller: AuthUser, @Req() request: FastifyRequest): Promise<ImportReportDto> {
    try {
      return await this.imports.importFile(
        caller.id,
        await importFileOf(request.raw, contentTypeOf(request)),
      );
    } finally {
      request.raw.resume(); // what is left of a refused body is read and dropped, so the answer reaches the client
    }
  }
}
