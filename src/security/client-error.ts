/**
 * Requests Node's HTTP parser rejects (bad request line, raw CR/LF or NUL in a
 * header, headers over maxHeaderSize, header timeout) never reach fastify; this
 * answers them as problem+json too, instead of fastify's ad-hoc JSON.
 */
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { parserError } from '../core/classify.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../core/problem.js';

/** clientErrorHandler is fastify's `clientErrorHandler`: answer once, then close the connection. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const error = parserError(err.code);
    // The request was never parsed, so its x-request-id is unknown: this answer gets its own id, like any other.
    const requestId = randomUUID();
    const body = JSON.stringify(toProblem(error, requestId));
    socket.write(
      `HTTP/1.1 ${error.status} ${error.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nX-Request-Id: ${requestId}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
