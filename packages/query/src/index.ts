export { createQueryHandler, errorBody, HttpError } from './handler.js';
export type { QueryHandlerOptions, StructuredError, StructuredResponse } from './handler.js';
export {
  DEFAULT_SEARCH,
  ParamError,
  parseDependencyParams,
  parseDuration,
  parseSearchParams,
  parseSpanKindParam,
  parseTags,
  parseTraceIdParam,
} from './params.js';
export type { SearchDefaults, SearchRequest } from './params.js';
export { contentTypeOf, createStaticHandler, safeSegments, StaticPathError } from './static.js';
export type { StaticOptions } from './static.js';
export { adjustClockSkew, formatGoDuration } from './skew.js';
export type { ClockSkewOptions } from './skew.js';
export { compareJaegerTags, moveLibraryAttributesToResource, sortJaegerTrace } from './adjust.js';
