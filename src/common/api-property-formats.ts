import { ApiProperty } from '@nestjs/swagger';

/**
 * String formats the Swagger CLI plugin cannot infer from a TypeScript `string`; everything else about
 * the property (type, nullability, required, description) still comes from the plugin.
 */
export const ApiUuid = (): PropertyDecorator => ApiProperty({ format: 'uuid' });

/** An ISO 8601 UTC timestamp, as `Date.prototype.toISOString()` writes it. */
export const ApiDateTime = (): PropertyDecorator =>
  ApiProperty({ format: 'date-time', example: '2025-01-31T09:30:00.000Z' });
