/**
 * Mends, in place, the `X | null` schemas the Swagger plugin writes, so that `null` validates as
 * OpenAPI 3.0 reads `nullable: true` (3.0.3's clarification; ajv reads it so): it adds null to `type`
 * only, so an `enum` must list null itself, and an `allOf` of a `$ref` (the plugin's nullable object)
 * would still refuse null. That `allOf` becomes a `oneOf` of the reference and null.
 */
export function mendNullables(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) mendNullables(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  if (schema.nullable === true) {
    const values = schema.enum as unknown[] | undefined;
    if (Array.isArray(values) && !values.includes(null)) schema.enum = [...values, null];
    if (Array.isArray(schema.allOf) && schema.allOf.length === 1) {
      schema.oneOf = [schema.allOf[0], { type: 'object', nullable: true, enum: [null] }];
      delete schema.allOf;
    }
  }
  for (const value of Object.values(schema)) mendNullables(value);
}
