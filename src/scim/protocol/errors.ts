import { URN_ERROR } from './urns';

export * from './urns';

/** The scimType keywords of RFC 7644 §3.12, Table 9. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export class ScimError extends Error {
  readonly status: number;
  readonly scimType?: ScimType;
  readonly detail: string;

  constructor(status: number, detail: string, scimType?: ScimType) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.detail = detail;
    if (scimType !== undefined) this.scimType = scimType;
  }
}

export const isScimError = (err: unknown): err is ScimError => err instanceof ScimError;

// Factories are spelled as RFC 7644 §3.12 spells the scimType keywords.
export const invalidFilter = (detail: string) => new ScimError(400, detail, 'invalidFilter');
export const tooMany = (detail: string) => new ScimError(400, detail, 'tooMany');
export const uniqueness = (detail: string) => new ScimError(409, detail, 'uniqueness');
export const mutability = (detail: string) => new ScimError(400, detail, 'mutability');
export const invalidSyntax = (detail: string) => new ScimError(400, detail, 'invalidSyntax');
export const invalidPath = (detail: string) => new ScimError(400, detail, 'invalidPath');
export const noTarget = (detail: string) => new ScimError(400, detail, 'noTarget');
export const invalidValue = (detail: string) => new ScimError(400, detail, 'invalidValue');
export const invalidVers = (detail: string) => new ScimError(400, detail, 'invalidVers');
// §7.5.2: personal data in a request URI is refused rather than processed.
export const sensitive = (detail: string) => new ScimError(403, detail, 'sensitive');

export const badRequest = (detail: string) => new ScimError(400, detail);
export const unauthorized = (detail = 'Authorization failure') => new ScimError(401, detail);
export const forbidden = (detail = 'Operation is not permitted') => new ScimError(403, detail);
export const notFound = (detail: string) => new ScimError(404, detail);
export const conflict = (detail: string) => new ScimError(409, detail);
export const preconditionFailed = (detail = 'Resource has changed on the server') =>
  new ScimError(412, detail);
export const payloadTooLarge = (detail: string) => new ScimError(413, detail);
export const internalError = (detail = 'Internal server error') => new ScimError(500, detail);
export const notImplemented = (detail: string) => new ScimError(501, detail);

export interface ScimErrorBody {
  schemas: [typeof URN_ERROR];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/** RFC 7644 §3.12 error message; `status` is a string there. */
export function toScimErrorBody(err: ScimError): ScimErrorBody {
  const body: ScimErrorBody = { schemas: [URN_ERROR], status: String(err.status), detail: err.detail };
  if (err.scimType !== undefined) body.scimType = err.scimType;
  return body;
}
