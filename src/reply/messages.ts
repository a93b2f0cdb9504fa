import type { Doc } from "./document.ts";

/** Where a reply goes: only to the person who asked, or to the whole channel. */
export type Visibility = "ephemeral" | "in_channel";

/** What a command answers. */
export interface Reply {
  visibility: Visibility;
  doc: Doc;
  /** For button clicks: replace the message the button was on (paging, confirmations). */
  replaceOriginal?: boolean;
  /** A file to upload with the answer (export). */
  file?: { filename: string; title: string; content: Buffer | string };
  /**
   * Slack only: open a dialog (a modal, with the click's trigger id) in which the person types `expected`; its
   * submission runs `command` followed by what they typed. Elsewhere the doc says what to type instead.
   */
  dialog?: { title: string; prompt: string; command: string; expected: number };
}

/** A message posted to a channel, which can be updated later. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/** Posting and updating channel messages: Slack's Web API, or the console's standard output. */
export interface ChannelMessages {
  /** Posts a message to a channel (or a thread of it); returns where it lives. */
  post(channel: string, doc: Doc, options?: { threadTs?: string }): Promise<MessageRef>;
  /** Replaces a posted message. */
  update(ref: MessageRef, doc: Doc): Promise<void>;
  /** Sends a reply through a response_url (Slack) or prints it (console). */
  respond?(responseUrl: string, reply: Reply): Promise<void>;
  /** Uploads a file from disk to a channel (Slack only; streamed, so its size does not matter). */
  uploadFile?(channel: string, file: FileUpload): Promise<{ fileId: string }>;
}

/** A file on disk to share in a channel. */
export interface FileUpload {
  path: string;
  filename: string;
  title: string;
  /** The message posted with the file. */
  initialComment?: string;
}
