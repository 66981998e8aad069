export { createQueryHandler, errorBody, HttpError, v3ErrorBody } from './handler.js';
export type { QueryHandlerOptions, StructuredError, StructuredResponse } from './handler.js';
export { lazyArchive, storeArchive } from './archive.js';
export type { TraceArchive } from './archive.js';
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
export { compareJaegerTags, moveLibraryAttributesToResource, reparentLoneSharedSpans, sortJaegerTrace } from './adjust.js';
export { analyticsRoutes } from './analytics.js';
export { computeMetrics, metricsRoutes, parseMetricsParams, protoTimestamp, quantile } from './metrics.js';
export type { MetricsQuery } from './metrics.js';
export { parseRfc3339, parseV3Query, traceSummary, v3Routes } from './v3.js';
export { parseAnnotationQuery, zipkinRoutes } from './zipkin.js';
export type { ZipkinOptions } from './zipkin.js';
export type { ApiContext, Route, RouteDef } from './context.js';
export { denyQueryRequest, isOpenQueryPath } from './auth.js';
export { DEFAULT_MAX_TRACE_SPANS, limitTraceSize, limitTraceSpans, truncationWarning } from './limits.js';
