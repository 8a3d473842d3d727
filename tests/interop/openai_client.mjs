#!/usr/bin/env node
// Drives llamachat's OpenAI-compatible API with the official `openai` npm client (pinned in package.json)
// and prints what the client made of each reply as JSON lines on stdout.
//
//   node openai_client.mjs --base-url http://127.0.0.1:PORT/v1 [--model ID] [--prompt TEXT]
//
// Runs four calls: non-streaming, streaming, streaming with stream_options.include_usage, and a refused
// request (n: 2). Output: {"kind":"client","version":...}, then per call one
//   {"kind":"result","call":NAME,"ok":true,"content":...,"finishReason":...,"usage":...,"chunks":N,
//    "ids":[distinct chunk ids],"roleFirst":bool,"usageChunks":N}
// or {"kind":"result","call":NAME,"ok":false,"status":N,"error":{...}}, and last {"kind":"done"}.
// Exit status 0 after all calls ran, 1 on bad usage or an unexpected exception.
import OpenAI from 'openai';
import { VERSION } from 'openai/version';

function parseArgs(argv) {
  const args = { prompt: 'Hello from the openai client', model: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined) throw new Error(`bad argument ${key}`);
    args[key.slice(2)] = value;
  }
  if (!args['base-url']) throw new Error('--base-url is required');
  return args;
}

const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');

async function streamed(client, params) {
  const stream = await client.chat.completions.create({ ...params, stream: true });
  let content = '';
  let finishReason = null;
  let usage = null;
  let chunks = 0;
  let usageChunks = 0;
  let roleFirst = false;
  const ids = new Set();
  for await (const chunk of stream) {
    ids.add(chunk.id);
    if (chunks === 0) roleFirst = chunk.choices?.[0]?.delta?.role === 'assistant';
    chunks++;
    const choice = chunk.choices?.[0];
    if (choice?.delta?.content) content += choice.delta.content;
    if (choice?.finish_reason) finishReason = choice.finish_reason;
    if (chunk.usage) {
      usage = chunk.usage;
      usageChunks++;
    }
  }
  return { content, finishReason, usage, chunks, usageChunks, roleFirst, ids: [...ids] };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  print({ kind: 'client', version: VERSION });
  const client = new OpenAI({ baseURL: args['base-url'], apiKey: 'unused-by-llamachat', maxRetries: 0, timeout: 60000 });
  const messages = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: args.prompt },
  ];
  const base = { messages, max_tokens: 64 };
  if (args.model) base.model = args.model;
  const calls = {
    whole: async () => {
      const r = await client.chat.completions.create(base);
      return {
        content: r.choices[0].message.content,
        role: r.choices[0].message.role,
        finishReason: r.choices[0].finish_reason,
        usage: r.usage,
        object: r.object,
        id: r.id,
        model: r.model,
      };
    },
    stream: () => streamed(client, base),
    stream_usage: () => streamed(client, { ...base, stream_options: { include_usage: true } }),
    refused: async () => client.chat.completions.create({ ...base, n: 2 }),
  };
  for (const [name, call] of Object.entries(calls)) {
    try {
      print({ kind: 'result', call: name, ok: true, ...(await call()) });
    } catch (e) {
      if (!(e instanceof OpenAI.APIError)) throw e;
      print({ kind: 'result', call: name, ok: false, status: e.status, error: e.error, errorClass: e.constructor.name });
    }
  }
  print({ kind: 'done' });
}

main().catch((e) => {
  print({ kind: 'fatal', message: String(e?.stack ?? e) });
  print({ kind: 'done' });
  process.exit(1);
});
