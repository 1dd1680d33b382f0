// Why a caller was refused, with a stable code; src/functions/authorize.ts alone turns the code
// into an HTTP status. Messages never repeat the principal header (it may be anyone's input).

export type AuthErrorCode = 'UNAUTHENTICATED' | 'INVALID_PRINCIPAL' | 'FORBIDDEN';

export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}
