export { JobfleetHttpClient, JobfleetApiError, type JobfleetHttpClientOptions, type FetchLike } from './client.ts';
export { parseEventStream } from './sse.ts';
export * from './types.ts';
