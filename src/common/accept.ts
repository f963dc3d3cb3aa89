/**
 * Whether an `Accept` header asks for Server-Sent Events: it names `text/event-stream` (any case, any
 * parameters) with a q above 0 and at least the q it gives JSON. Wildcards alone (`*\/*`, curl's default)
 * keep the JSON answer, and `application/json, text/event-stream` (both at q=1) streams.
 */
export function acceptsEventStream(accept: string | undefined): boolean {
  if (!accept) return false;
  let stream = 0;
  let json = 0;
  for (const range of accept.split(',')) {
    const [mediaType, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = qualityOf(params);
    if (mediaType === 'text/event-stream') stream = Math.max(stream, q);
    else if (mediaType === 'application/json' || mediaType === 'application/*' || mediaType === '*/*')
      json = Math.max(json, q);
  }
  return stream > 0 && stream >= json;
}

/** The `q` parameter (RFC 9110 §12.4.2): 0 to 1, 1 when absent; a malformed one counts as 0. */
function qualityOf(params: string[]): number {
  const q = params.find((param) => param.startsWith('q='));
  if (q === undefined) return 1;
  const value = q.slice(2);
  return /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value) ? Number(value) : 0;
}
