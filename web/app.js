// llamachat UI: sends messages to POST /chat with "stream": true and renders Server-Sent Events.
// Model text is always inserted with textContent, never as HTML.
'use strict';

const chatBox = document.getElementById('chat-box');
const form = document.getElementById('chat-form');
const input = document.getElementById('user-input');
const sendBtn = document.getElementById('send-btn');
const statusLine = document.getElementById('backend-status');

function addMessage(role, text) {
  const div = document.createElement('div');
  div.classList.add('message', role);
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = role === 'user' ? 'You:' : role === 'error' ? 'Error:' : 'Assistant:';
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  div.append(who, body);
  div.dataset.testid = 'message-' + role;
  chatBox.appendChild(div);
  chatBox.scrollTop = chatBox.scrollHeight;
  return body;
}

async function showBackend() {
  try {
    const resp = await fetch('/healthz', { cache: 'no-store' });
    const info = await resp.json();
    if (info.offline) {
      statusLine.textContent = 'Offline mode: replies are generated locally, not by Llama. ' +
        'Set AWS_REGION and BEDROCK_MODEL_ID (and AWS credentials) and restart to use Amazon Bedrock.';
      statusLine.classList.add('offline');
    } else {
      statusLine.textContent = 'Connected to Amazon Bedrock, model ' + info.model + '.';
    }
  } catch (err) {
    statusLine.textContent = 'Could not reach the service.';
  }
}

// Parses SSE frames from a fetch() body reader, calling onEvent(name, data) for each.
async function readEvents(reader, onEvent) {
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}

async function sendMessage() {
  const msg = input.value.trim();
  if (!msg) return;
  addMessage('user', msg);
  input.value = '';
  input.disabled = true;
  sendBtn.disabled = true;
  let target = null;
  let text = '';
  try {
    const resp = await fetch('/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'text/event-stream' },
      body: JSON.stringify({ message: msg, stream: true }),
    });
    const type = resp.headers.get('Content-Type') || '';
    if (!type.startsWith('text/event-stream')) {
      const data = await resp.json();
      if (data.reply) addMessage('assistant', data.reply);
      else addMessage('error', data.error || ('HTTP ' + resp.status));
    } else {
      await readEvents(resp.body.getReader(), (name, data) => {
        if (name === 'delta') {
          if (!target) target = addMessage('assistant', '');
          text += data.delta;
          target.textContent = text;
          chatBox.scrollTop = chatBox.scrollHeight;
        } else if (name === 'done') {
          if (!target) target = addMessage('assistant', '');
          target.textContent = data.reply;
        } else if (name === 'error') {
          addMessage('error', data.error);
        }
      });
    }
  } catch (err) {
    addMessage('error', 'Network error: ' + err.message);
  }
  input.disabled = false;
  sendBtn.disabled = false;
  input.focus();
}

form.addEventListener('submit', (e) => { e.preventDefault(); sendMessage(); });
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    sendMessage();
  }
});
showBackend();
input.focus();
