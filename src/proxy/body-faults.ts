// The two ways a client's own request body fails while it streams upstream. In a file of
// their own: request-body.ts throws them and upstream-errors.ts maps them to statuses,
// and request-body.ts sits below websocket.ts, which needs upstream-errors.ts.

/** The streamed body passed server.bodyLimit: the client gets 413. */
export class BodyLimitExceeded extends Error {}
/** llhttp failed inside a chunked body that had not gone upstream yet: the client gets 400. */
export class BodyMalformed extends Error {}
