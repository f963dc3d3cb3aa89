/** One invalid field of a request. */
export class FieldErrorDto {
  /**
   * The field, dotted for nested ones (`body` when the body as a whole is wrong).
   * @example "password"
   */
  field!: string;

  /** @example "password must be at least 8 characters" */
  message!: string;
}

/** An RFC 9457 problem: the body of every error of the native API (`application/problem+json`). */
export class ProblemDetailsDto {
  /**
   * A URI naming the kind of problem; `about:blank` means the status says it all.
   * @example "about:blank"
   */
  type!: string;

  /**
   * The status's reason phrase.
   * @example "Bad Request"
   */
  title!: string;

  /**
   * The HTTP status code.
   * @example 400
   */
  status!: number;

  /**
   * What went wrong, for a person.
   * @example "Invalid password."
   */
  detail!: string;

  /** Validation failures only (400): each bad field with its message. */
  errors?: FieldErrorDto[];

  /**
   * The request's id, also sent as the `X-Request-Id` header; quote it when reporting a problem.
   * @example "3f2a8c1e-5b7d-4e0a-9c6f-1d2e3f4a5b6c"
   */
  request_id!: string;
}
