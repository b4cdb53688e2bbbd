// Threads in the inbox: one row per conversation, with how many messages it holds. Pure.

/**
 * One row per thread, in the order the threads first appear (the server lists the newest thread first).
 * A thread's row is its newest unread message, else its newest message: the one a tap should open.
 * @param {Array<{id: string, threadId?: string, unread?: boolean}>} messages newest first
 * @returns {Array<object>} those messages, each with `threadCount`
 */
export function groupByThread(messages) {
  const threads = new Map();
  for (const message of Array.isArray(messages) ? messages : []) {
    if (!message || typeof message !== 'object') continue;
    const key = typeof message.threadId === 'string' && message.threadId ? message.threadId : message.id;
    const thread = threads.get(key);
    if (!thread) {
      threads.set(key, { row: message, count: 1 });
      continue;
    }
    thread.count += 1;
    if (message.unread === true && thread.row.unread !== true) thread.row = message;
  }
  // The server says how many of a thread's messages the person holds (`threadCount`), loaded or not yet.
  return [...threads.values()].map(({ row, count }) => ({ ...row, threadCount: Math.max(count, Number.isInteger(row.threadCount) ? row.threadCount : 0) }));
}
