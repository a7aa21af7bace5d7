import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Seals secrets (SAS-bearing URLs) before they are stored, e.g. in the status table.
 * AES-256-GCM with a fresh 96-bit IV per value; the output is versioned so the format can change:
 *   v1.<iv>.<tag>.<ciphertext>   (each part base64url)
 * `associatedData` (optional) binds a sealed value to its context, e.g. the batch id, so a value
 * copied to another row does not open there.
 */
export interface SecretBox {
  seal(plain: string, associatedData?: string): string;
  open(sealed: string, associatedData?: string): string;
}

export class SecretBoxError extends Error {
  override readonly name = "SecretBoxError";
}

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function createSecretBox(base64Key: string): SecretBox {
  const key = decodeKey(base64Key);
  return {
    seal(plain, associatedData) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, "utf8"));
      const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString("base64url"), tag.toString("base64url"), ciphertext.toString("base64url")].join(".");
    },
    open(sealed, associatedData) {
      const parts = typeof sealed === "string" ? sealed.split(".") : [];
      if (parts.length !== 4 || parts[0] !== VERSION) {
        throw new SecretBoxError(`Not a sealed value: expected "${VERSION}.<iv>.<tag>.<ciphertext>".`);
      }
      const [, ivText, tagText, ciphertextText] = parts;
      if (![ivText, tagText, ciphertextText].every((part) => /^[A-Za-z0-9_-]*$/.test(part))) {
        throw new SecretBoxError("Not a sealed value: its parts are not base64url.");
      }
      const iv = Buffer.from(ivText, "base64url");
      const tag = Buffer.from(tagText, "base64url");
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretBoxError("Not a sealed value: wrong IV or tag length.");
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
        if (associatedData !== undefined) decipher.setAAD(Buffer.from(associatedData, "utf8"));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(Buffer.from(ciphertextText, "base64url")), decipher.final()]).toString("utf8");
      } catch {
        throw new SecretBoxError("Cannot open the sealed value: it was sealed with another key (DOCBATCH_ENCRYPTION_KEY changed?) or has been altered.");
      }
    },
  };
}

/** A new random key in the form DOCBATCH_ENCRYPTION_KEY expects. */
export function generateSecretBoxKey(): string {
  return randomBytes(32).toString("base64");
}

function decodeKey(base64Key: string): Buffer {
  const text = (base64Key ?? "").trim();
  // Buffer.from(..., "base64") silently skips invalid characters, so check the alphabet first.
  if (!text || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    throw new SecretBoxError("DOCBATCH_ENCRYPTION_KEY must be base64 of 32 random bytes (e.g. `openssl rand -base64 32`).");
  }
  const key = Buffer.from(text, "base64");
  if (key.length !== 32) {
    throw new SecretBoxError(`DOCBATCH_ENCRYPTION_KEY must decode to exactly 32 bytes, not ${key.length}; generate one with \`openssl rand -base64 32\`.`);
  }
  return key;
}
