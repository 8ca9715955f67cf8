import { createServer } from 'node:http';

/** A message as an alert webhook sent it (Slack-compatible JSON). */
export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

/** A local stand-in for a Slack incoming webhook: keeps every message posted to it. */
export interface SlackReceiver {
  /** Where to post: `http://127.0.0.1:<port>/hooks/slack`. */
  url: string;
  received: SlackMessage[];
  close(): Promise<void>;
}

/** Starts a {@link SlackReceiver} on a free port; every post is answered 200. */
export async function startSlackReceiver(): Promise<SlackReceiver> {
  const received: SlackMessage[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body) as SlackMessage);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hooks/slack`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
