/**
 * The floor of a slash command: a bare Bolt app of the same version, HTTPReceiver on a plain HTTP server as
 * embedops mounts it, answering an echo command the same way (ack, then a JSON post to the response_url).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { App, HTTPReceiver, LogLevel } from "@slack/bolt";
import { failStart, serveHarness } from "./child-protocol.ts";

try {
  const receiver = new HTTPReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET!, endpoints: "/slack/events", processBeforeResponse: false, logLevel: LogLevel.ERROR });
  const app = new App({
    token: process.env.SLACK_BOT_TOKEN,
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
    deferInitialization: true,
  });
  app.command(process.env.SLASH_COMMAND ?? "/integrations", async ({ command, ack }) => {
    await ack();
    const answer = await fetch(command.response_url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response_type: "ephemeral", text: `echo: ${command.text}`, replace_original: false }),
    });
    if (!answer.ok) throw new Error(`response_url answered ${answer.status}`);
  });
  await app.init();
  const server = createServer(receiver.requestListener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  serveHarness((server.address() as AddressInfo).port, () => new Promise<void>((resolve) => server.close(() => resolve())));
} catch (error) {
  failStart(error);
}
