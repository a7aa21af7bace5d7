/** Model ids analyzers serve: letters, digits, "._~-", 2 to 64 characters (Document Intelligence's rule). */
export const MODEL_ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._~-]{1,63}$/;
