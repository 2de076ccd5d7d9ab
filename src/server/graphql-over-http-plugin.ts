/**
 * Status codes of GraphQL request errors as the GraphQL-over-HTTP spec gives them. Apollo
 * answers a parse, validation, variable-coercion or operation-resolution failure with 400
 * whatever the response's media type. The spec says 400 only for
 * `application/graphql-response+json`; a client that gets `application/json` (older clients,
 * any wildcard Accept, no Accept) is owed 200, since to it a non-2xx status means the request
 * never reached a GraphQL server (a proxy's error page) and the `errors` in the body go unread.
 *
 * Requests that are not well-formed (no `query`, a body that is not JSON, a mutation over GET)
 * are no GraphQL request errors and keep their 4xx.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';

const REQUEST_ERROR_CODES = new Set<unknown>([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  // Apollo's code for a variable that fails coercion, when no data came back.
  ApolloServerErrorCode.BAD_USER_INPUT,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
]);

export function graphqlOverHttpPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response }) {
          // Operations run in-process (executeOperation) have no HTTP side to correct.
          if (!request.http || response.body.kind !== 'single' || response.http.status !== 400) return;
          const { data, errors } = response.body.singleResult;
          if (data !== undefined || !errors?.length || !errors.every((e) => REQUEST_ERROR_CODES.has(e.extensions?.code))) return;
          const type = responseType(request.http.headers.get('accept'));
          // Accepting neither: Apollo answers 406.
          if (!type) return;
          // The status follows from the media type, so both are decided here: Apollo would
          // otherwise pick the type later, by its own reading of Accept.
          response.http.headers.set('content-type', type);
          if (type === JSON_TYPE) response.http.status = 200;
        },
      };
    },
  };
}

interface MediaRange {
  type: string;
  subtype: string;
  params: Map<string, string>;
  q: number;
  order: number;
}

/** The offers in the order Apollo prefers them when the client has no preference. */
const OFFERS = [
  { type: 'application', subtype: 'json', mediaType: JSON_TYPE },
  { type: 'application', subtype: 'graphql-response+json', mediaType: GRAPHQL_RESPONSE_TYPE },
] as const;

/**
 * Which of the two JSON media types answers a request with this Accept header, by HTTP's rules:
 * the higher quality wins, then the more specific range, then the range the client listed first,
 * then `application/json` (as in Apollo's negotiation). No header means `application/json`.
 */
function responseType(accept: string | undefined): string | undefined {
  if (!accept?.trim()) return JSON_TYPE;
  const ranges = accept.split(',').flatMap((part, order) => {
    const range = parseRange(part, order);
    return range ? [range] : [];
  });
  let best: (Match & { mediaType: string }) | undefined;
  for (const offer of OFFERS) {
    // The range that names the offer most closely decides its quality (RFC 9110, 12.5.1).
    let match: Match | undefined;
    for (const range of ranges) {
      const specificity = matchSpecificity(range, offer);
      if (specificity < 0) continue;
      const candidate = { q: range.q, specificity, order: range.order };
      if (!match || specificity > match.specificity || (specificity === match.specificity && range.q > match.q)) match = candidate;
    }
    // Offers are in Apollo's order, so on a full tie the earlier one stays.
    if (match && match.q > 0 && (!best || preferred(match, best) < 0)) best = { ...match, mediaType: offer.mediaType };
  }
  return best?.mediaType;
}

interface Match {
  q: number;
  specificity: number;
  order: number;
}

/** Negative when `a` is preferred to `b`. */
function preferred(a: Match, b: Match): number {
  return b.q - a.q || b.specificity - a.specificity || a.order - b.order;
}

function parseRange(text: string, order: number): MediaRange | undefined {
  const [essence = '', ...paramTexts] = text.split(';');
  const [type, subtype, extra] = essence.trim().toLowerCase().split('/');
  if (!type || !subtype || extra !== undefined) return undefined;
  const params = new Map<string, string>();
  let q = 1;
  for (const paramText of paramTexts) {
    const eq = paramText.indexOf('=');
    if (eq < 0) continue;
    const name = paramText.slice(0, eq).trim().toLowerCase();
    const value = paramText.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (name === 'q') {
      const quality = Number(value);
      q = Number.isFinite(quality) ? quality : 0;
    } else {
      params.set(name, value.toLowerCase());
    }
  }
  return { type, subtype, params, q, order };
}

/** -1 when the range does not cover the offer; else higher for a range naming more of it. */
function matchSpecificity(range: MediaRange, offer: (typeof OFFERS)[number]): number {
  let specificity = 0;
  if (range.type === offer.type) specificity += 4;
  else if (range.type !== '*') return -1;
  if (range.subtype === offer.subtype) specificity += 2;
  else if (range.subtype !== '*') return -1;
  if (range.params.size > 0) {
    // Both offers are UTF-8 and carry no other parameter.
    for (const [name, value] of range.params) if (!(name === 'charset' && value === 'utf-8')) return -1;
    specificity += 1;
  }
  return specificity;
}
