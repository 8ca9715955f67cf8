/**
 * Masks secrets that can appear inside free text: revsync API keys (`rsk_<id>_<secret>`: the id
 * stays, it names the key), `Bearer`/`Basic` credentials, and the values of query parameters
 * whose names say they hold a secret. Used where text from outside (a request URL, a vendor's
 * error message) reaches a log line or an API answer. Structured fields are redacted by path in
 * the logger; this catches what hides inside strings.
 */
const API_KEY = /\b(rsk_[a-z0-9]{4,32}_)[A-Za-z0-9_-]{16,128}/g;
const AUTH_SCHEME = /\b(Bearer|Basic)(\s+|%20|\+)[A-Za-z0-9._~+/=-]{8,}/gi;
const SECRET_PARAM =
  /([?&;](?:api[_-]?key|apikey|key|token|access[_-]?token|refresh[_-]?token|id[_-]?token|client[_-]?secret|secret|password|passwd|pwd|signature|sig|code|auth|authorization)=)[^&#\s"']*/gi;

/** The text with every secret it can recognise replaced by `[redacted]`. */
export function redactSecrets(text: string): string {
  return text
    .replace(API_KEY, '$1[redacted]')
    .replace(AUTH_SCHEME, '$1 [redacted]')
    .replace(SECRET_PARAM, '$1[redacted]');
}
