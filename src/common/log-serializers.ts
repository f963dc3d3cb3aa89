/**
 * pino's error serializer (`serializers.err`, given pino's own serialization of the error) minus what a
 * failed query carries of its values: TypeORM's `parameters`, and the server's `detail` (also inside
 * `driverError`).
 */
export function withoutQueryValues(error: Record<string, unknown>): Record<string, unknown> {
  const { parameters: _parameters, detail: _detail, driverError: _driverError, ...rest } = error;
  return rest;
}
