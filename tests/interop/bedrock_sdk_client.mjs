#!/usr/bin/env node
// Calls a Bedrock Runtime endpoint (the emulator, or AWS itself) with the official AWS SDK for JavaScript v3 over
// HTTP/1.1 and prints what the SDK made of each reply as JSON lines on stdout.
//
//   node bedrock_sdk_client.mjs --endpoint http://127.0.0.1:PORT --op invoke[,invoke-stream,converse,converse-stream]
//        [--model-id ID] [--prompt TEXT] [--region us-east-1] [--access-key-id ID] [--secret-access-key KEY]
//        [--session-token TOKEN] [--max-attempts 1] [--insecure-tls]
//
// Output, per operation: {"kind":"event",...} for each stream event, then exactly one
//   {"kind":"result","op":OP,"ok":true,"text":"<reply text as the SDK decoded it>","status":200,"requestId":...,
//    "events":[<event type names>],"stopReason":...}
// or
//   {"kind":"result","op":OP,"ok":false,"error":{"name","message","fault","httpStatusCode","members"}};
// the first line is {"kind":"sdk","version":...} and the last {"kind":"done","ok":<all succeeded>}.
// Exit status: 0 when every operation succeeded, 2 otherwise, 1 on bad usage.
// Credentials default to the static AWS documentation example keys; nothing is read from the environment or
// from credential files. Retries are off unless --max-attempts says otherwise.
import https from 'node:https';
import http from 'node:http';
import { createRequire } from 'node:module';
import {
  BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ConverseCommand,
  ConverseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const OPS = ['invoke', 'invoke-stream', 'converse', 'converse-stream'];

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2);
    if (key === 'insecure-tls' || key === 'help') {
      args[key] = true;
    } else {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`);
      args[key] = argv[++i];
    }
  }
  return args;
}

function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function llamaPrompt(text) {
  return `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n${text}<|eot_id|>`
    + '<|start_header_id|>assistant<|end_header_id|>\n\n';
}

function errorJson(e) {
  const out = {
    name: e.name,
    message: e.message,
    fault: e.$fault,
    httpStatusCode: e.$metadata ? e.$metadata.httpStatusCode : undefined,
  };
  const members = {};
  for (const k of Object.keys(e)) {
    if (!k.startsWith('$') && !['name', 'message', 'stack', 'Message'].includes(k)) members[k] = e[k];
  }
  if (Object.keys(members).length) out.members = members;
  return out;
}

const decoder = new TextDecoder();

async function run(client, op, modelId, prompt) {
  const result = { kind: 'result', op, ok: true, text: '', events: [] };
  if (op === 'invoke') {
    const body = new TextEncoder().encode(JSON.stringify({ prompt: llamaPrompt(prompt), max_gen_len: 256 }));
    const res = await client.send(new InvokeModelCommand({
      modelId, body, contentType: 'application/json', accept: 'application/json',
    }));
    const parsed = JSON.parse(decoder.decode(res.body));
    Object.assign(result, {
      status: res.$metadata.httpStatusCode,
      requestId: res.$metadata.requestId,
      text: parsed.generation,
      stopReason: parsed.stop_reason,
    });
  } else if (op === 'invoke-stream') {
    const body = new TextEncoder().encode(JSON.stringify({ prompt: llamaPrompt(prompt), max_gen_len: 256 }));
    const res = await client.send(new InvokeModelWithResponseStreamCommand({
      modelId, body, contentType: 'application/json', accept: 'application/json',
    }));
    result.status = res.$metadata.httpStatusCode;
    result.requestId = res.$metadata.requestId;
    for await (const event of res.body) {
      const type = Object.keys(event).find((k) => event[k] !== undefined);
      result.events.push(type);
      if (type === 'chunk') {
        const chunk = JSON.parse(decoder.decode(event.chunk.bytes));
        emit({ kind: 'event', op, type, chunk });
        result.text += chunk.generation || '';
        if (chunk.stop_reason) result.stopReason = chunk.stop_reason;
        if (chunk['amazon-bedrock-invocationMetrics']) result.metrics = chunk['amazon-bedrock-invocationMetrics'];
      } else {
        emit({ kind: 'event', op, type, value: event[type] });
      }
    }
  } else if (op === 'converse') {
    const res = await client.send(new ConverseCommand({
      modelId,
      messages: [{ role: 'user', content: [{ text: prompt }] }],
      inferenceConfig: { maxTokens: 256 },
    }));
    Object.assign(result, {
      status: res.$metadata.httpStatusCode,
      requestId: res.$metadata.requestId,
      text: res.output.message.content[0].text,
      stopReason: res.stopReason,
      usage: res.usage,
    });
  } else if (op === 'converse-stream') {
    const res = await client.send(new ConverseStreamCommand({
      modelId,
      messages: [{ role: 'user', content: [{ text: prompt }] }],
      inferenceConfig: { maxTokens: 256 },
    }));
    result.status = res.$metadata.httpStatusCode;
    result.requestId = res.$metadata.requestId;
    for await (const event of res.stream) {
      const type = Object.keys(event).find((k) => event[k] !== undefined);
      result.events.push(type);
      emit({ kind: 'event', op, type, value: event[type] });
      if (type === 'contentBlockDelta') result.text += event.contentBlockDelta.delta.text || '';
      if (type === 'messageStop') result.stopReason = event.messageStop.stopReason;
      if (type === 'metadata') result.usage = event.metadata.usage;
    }
  }
  return result;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
    if (args.help) {
      process.stdout.write('see the comment at the top of bedrock_sdk_client.mjs\n');
      return 0;
    }
    if (!args.endpoint) throw new Error('--endpoint URL is required');
    for (const op of (args.op || '').split(',')) {
      if (!OPS.includes(op)) throw new Error(`--op takes a comma-separated list of: ${OPS.join(', ')}`);
    }
  } catch (e) {
    process.stderr.write(`bedrock_sdk_client: ${e.message}\n`);
    return 1;
  }
  const credentials = {
    accessKeyId: args['access-key-id'] || 'AKIDEXAMPLE',
    secretAccessKey: args['secret-access-key'] || 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  };
  if (args['session-token']) credentials.sessionToken = args['session-token'];
  const requestHandler = new NodeHttpHandler({
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true, rejectUnauthorized: !args['insecure-tls'] }),
    connectionTimeout: 5000,
    requestTimeout: 30000,
  });
  const client = new BedrockRuntimeClient({
    region: args.region || 'us-east-1',
    endpoint: args.endpoint,
    credentials,
    maxAttempts: Number(args['max-attempts'] || 1),
    requestHandler,
  });
  const require = createRequire(import.meta.url);
  const version = require('@aws-sdk/client-bedrock-runtime/package.json').version;
  emit({ kind: 'sdk', package: '@aws-sdk/client-bedrock-runtime', version });

  const modelId = args['model-id'] || 'us.meta.llama3-3-70b-instruct-v1:0';
  const prompt = args.prompt || 'Say hello';
  let failed = false;
  for (const op of args.op.split(',')) {
    try {
      emit(await run(client, op, modelId, prompt));
    } catch (e) {
      failed = true;
      emit({ kind: 'result', op, ok: false, error: errorJson(e) });
    }
  }
  client.destroy();
  emit({ kind: 'done', ok: !failed });
  return failed ? 2 : 0;
}

process.exitCode = await main();
