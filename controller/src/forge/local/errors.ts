// Failures answered the way GitHub answers them: a status code and a JSON body with `message`,
// `documentation_url`, `status` and, for validation failures, `errors`.

export const DOCS = 'https://docs.github.com/rest';

export interface ValidationErrorItem {
  resource?: string;
  field?: string;
  code: string;
  message?: string;
}

export class ForgeError extends Error {
  override name = 'ForgeError';
  constructor(
    readonly status: number,
    message: string,
    readonly documentationUrl: string = DOCS,
    readonly errors?: (ValidationErrorItem | string)[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return {
      message: this.message,
      documentation_url: this.documentationUrl,
      ...(this.errors ? { errors: this.errors } : {}),
      status: String(this.status),
    };
  }
}

export const notFound = (doc = DOCS) => new ForgeError(404, 'Not Found', doc);
export const badCredentials = () => new ForgeError(401, 'Bad credentials', DOCS);
export const requiresAuthentication = () => new ForgeError(401, 'Requires authentication', DOCS);
export const conflict = (message: string, doc = DOCS) => new ForgeError(409, message, doc);
export const forbidden = (message: string, doc = DOCS) => new ForgeError(403, message, doc);

/** 422 "Validation Failed" with GitHub's per-field error items. */
export function validationFailed(items: ValidationErrorItem[], doc = DOCS): ForgeError {
  return new ForgeError(422, 'Validation Failed', doc, items);
}

/** 422 with a plain message, as for "Reference already exists". */
export function unprocessable(message: string, doc = DOCS, errors?: string[]): ForgeError {
  return new ForgeError(422, message, doc, errors);
}

/** A request body or parameter the operation cannot take: GitHub answers 422 "Invalid request". */
export function invalidRequest(detail: string, doc = DOCS): ForgeError {
  return new ForgeError(422, `Invalid request.\n\n${detail}`, doc);
}
