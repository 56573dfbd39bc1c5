import crypto from "node:crypto";

export const newId = (): string => crypto.randomUUID();

export const newRequestId = (): string => crypto.randomBytes(9).toString("base64url");
