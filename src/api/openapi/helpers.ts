// Small builders the OpenAPI parts share.

/** Batch ids are UUIDs; a path parameter with this pattern matches nothing else. */
export const UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/** A reference to a component schema. */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A JSON content entry of a response or request body. */
export const json = (schema: unknown) => ({ content: { "application/json": { schema } } });
