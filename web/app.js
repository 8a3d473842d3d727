// llamachat page: conversations kept in localStorage, each turn sent to POST /v1/chat/completions with
// "stream": true; the reply is rendered as Markdown (markdown.js, DOM nodes only) while it arrives.
// Stop aborts the fetch; the server notices the closed connection and ends the upstream call.
'use strict';

(function () {
  const STORE_KEY = 'llamachat.conversations.v1';
  const CURRENT_KEY = 'llamachat.current.v1';
  const API_KEY = 'llamachat.apiKey';
  const TITLE_LENGTH = 40;

  const { el } = window.LlamaMarkdown;
  const $ = (id) => document.getElementById(id);
  const log = $('log');
  const live = $('live');
  const input = $('message');
  const sendButton = $('send');
  const stopButton = $('stop');
  const regenerateButton = $('regenerate');
  const list = $('conversations');
  const title = $('chat-title');
  const statusLine = $('backend-status');

  let conversations = load();
  let currentId = localStorage.getItem(CURRENT_KEY);
  let streaming = null;  // { controller, message, conversation } while a reply streams

  function load() {
    try {
      const parsed = JSON.parse(localStorage.getItem(STORE_KEY) || '[]');
      return Array.isArray(parsed) ? parsed.filter((c) => c && typeof c.id === 'string' && Array.isArray(c.messages)) : [];
    } catch {
      return [];
    }
  }

  function save() {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify(conversations));
      if (currentId) localStorage.setItem(CURRENT_KEY, currentId);
      else localStorage.removeItem(CURRENT_KEY);
    } catch (err) {
      announceStatus('Could not save the conversation in this browser: ' + err.message);
    }
  }

  function current() {
    return conversations.find((c) => c.id === currentId) || null;
  }

  function newId() {
    return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 8);
  }

  function titleFrom(text) {
    const line = text.replace(/\s+/g, ' ').trim();
    return line.length > TITLE_LENGTH ? line.slice(0, TITLE_LENGTH - 1) + '…' : line || 'New chat';
  }

  function announceStatus(text) {
    live.textContent = text;
  }

  // ---- Rendering ----------------------------------------------------------------------------------------

  function renderList() {
    const items = conversations.slice().sort((a, b) => b.updated - a.updated).map((c) => {
      const li = el('li');
      const button = el('button', 'conversation', c.title);
      button.type = 'button';
      if (c.id === currentId) button.setAttribute('aria-current', 'true');
      button.addEventListener('click', () => switchTo(c.id));
      li.append(button);
      return li;
    });
    list.replaceChildren(...items);
    const conversation = current();
    title.textContent = conversation ? conversation.title : 'New chat';
    document.title = (conversation ? conversation.title + ' · ' : '') + 'llamachat';
    $('rename').disabled = !conversation;
    $('delete').disabled = !conversation;
  }

  async function copyText(text, button) {
    try {
      await navigator.clipboard.writeText(text);
      button.dataset.copied = 'true';
      announceStatus('Copied to the clipboard.');
    } catch {
      announceStatus('Copying failed: the browser did not allow access to the clipboard.');
    }
  }

  function messageView(message) {
    const article = el('article', 'message ' + message.role);
    article.dataset.testid = 'message-' + message.role;
    const who = el('h2', 'who', message.role === 'user' ? 'You' : 'Assistant');
    const body = el('div', 'body');
    article.append(who, body);
    if (message.role === 'user') {
      body.textContent = message.content;
    } else {
      window.LlamaMarkdown.render(message.content, body, { onCopy: copyText });
    }
    const foot = el('div', 'meta');
    if (message.notice) {
      const notice = el('p', 'notice ' + (message.noticeKind || ''), message.notice);
      notice.dataset.testid = 'notice';
      article.append(notice);
    }
    if (message.role === 'assistant') {
      const facts = [];
      if (message.model) facts.push(message.model);
      if (message.usage) {
        facts.push(`${message.usage.prompt_tokens} prompt + ${message.usage.completion_tokens} reply tokens`);
      }
      const info = el('span', 'usage', facts.join(' · '));
      info.dataset.testid = 'usage';
      foot.append(info);
    }
    if (message.content) {
      const copy = el('button', 'copy', 'Copy');
      copy.type = 'button';
      copy.addEventListener('click', () => copyText(message.content, copy));
      foot.append(copy);
    }
    article.append(foot);
    return article;
  }

  function renderLog() {
    const conversation = current();
    const views = conversation ? conversation.messages.map(messageView) : [];
    if (!views.length) {
      const empty = el('p', 'empty', 'Ask anything. Replies stream as they are written; Esc stops them.');
      views.push(empty);
    }
    log.replaceChildren(...views);
    log.scrollTop = log.scrollHeight;
    updateControls();
  }

  function updateControls() {
    const conversation = current();
    const last = conversation && conversation.messages[conversation.messages.length - 1];
    sendButton.disabled = !!streaming;
    stopButton.disabled = !streaming;
    regenerateButton.disabled = !!streaming || !last || last.role !== 'assistant';
    log.setAttribute('aria-busy', streaming ? 'true' : 'false');
  }

  // Re-renders the body of the streaming message at most once per frame; the article stays, so the live
  // region announces the new text rather than the whole message again.
  let frameRequested = false;
  function scheduleStreamRender() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(() => {
      frameRequested = false;
      if (!streaming || !streaming.view) return;
      window.LlamaMarkdown.render(streaming.message.content, streaming.view.querySelector('.body'), { onCopy: copyText });
      log.scrollTop = log.scrollHeight;
    });
  }

  // Replaces the view of the reply that streamed with its final form (usage, notices, Copy).
  function finishView(view, message) {
    const fresh = messageView(message);
    if (view && view.isConnected) view.replaceWith(fresh);
    else renderLog();
    log.scrollTop = log.scrollHeight;
  }

  // ---- Backend status -----------------------------------------------------------------------------------

  function showBackend(offline, model) {
    statusLine.classList.toggle('offline', offline);
    statusLine.textContent = offline
      ? 'Offline mode: replies are made locally, not by Llama. Set AWS_REGION and BEDROCK_MODEL_ID (and AWS credentials) and restart to use Amazon Bedrock.'
      : 'Connected: ' + (model || 'the model');
  }

  async function checkBackend() {
    try {
      const response = await fetch('/healthz', { cache: 'no-store' });
      const info = await response.json();
      showBackend(!!info.offline, info.model);
    } catch {
      statusLine.textContent = 'The service cannot be reached. Check that llamachat is running and your network is up.';
    }
  }

  // ---- API key ------------------------------------------------------------------------------------------

  function authHeaders() {
    const key = localStorage.getItem(API_KEY);
    return key ? { Authorization: 'Bearer ' + key } : {};
  }

  // Resolves true once the user saved a key, false when they cancelled.
  function askForKey() {
    const dialog = $('key-dialog');
    const field = $('api-key');
    field.value = '';
    return new Promise((resolve) => {
      const done = (saved) => {
        $('key-form').removeEventListener('submit', onSubmit);
        $('key-cancel').removeEventListener('click', onCancel);
        dialog.removeEventListener('cancel', onCancel);
        if (dialog.open) dialog.close();
        resolve(saved);
      };
      const onSubmit = (event) => {
        event.preventDefault();
        const key = field.value.trim();
        if (!key) return;
        localStorage.setItem(API_KEY, key);
        done(true);
      };
      const onCancel = (event) => { event.preventDefault(); done(false); };
      $('key-form').addEventListener('submit', onSubmit);
      $('key-cancel').addEventListener('click', onCancel);
      dialog.addEventListener('cancel', onCancel);
      dialog.showModal();
      field.focus();
    });
  }

  // ---- Errors -------------------------------------------------------------------------------------------

  // What the user can do about an OpenAI-shaped error ({"error": {message, type, code}}) and its status.
  function explain(status, error, retryAfter) {
    const code = (error && error.code) || '';
    const message = (error && error.message) || `HTTP ${status}`;
    if (status === 429 || code === 'rate_limit_exceeded') {
      const wait = retryAfter ? ` Try again in ${retryAfter} s.` : ' Wait a moment and try again.';
      return 'The model is busy (throttled).' + wait;
    }
    if (code === 'configuration') {
      return 'The server is not configured to reach the model: ' + message +
        '. Set AWS_REGION and BEDROCK_MODEL_ID and restart llamachat.';
    }
    if (code === 'credentials' || code === 'access_denied') {
      return 'The server has no usable AWS credentials or permission for the model: ' + message;
    }
    if (code === 'deadline_exceeded' || code === 'model_timeout') {
      return 'The reply was cut at the time limit.';
    }
    if (code === 'context_length_exceeded') {
      return 'This conversation is too long for the model. Start a new chat.';
    }
    if (code === 'upstream_unreachable' || code === 'upstream_unavailable') {
      return 'The model service cannot be reached right now. Try again shortly. (' + message + ')';
    }
    return message;
  }

  // ---- Sending ------------------------------------------------------------------------------------------

  function wireMessages(conversation) {
    return conversation.messages
      .filter((m) => (m.role === 'user' || m.role === 'assistant') && m.content && !m.failed)
      .map((m) => ({ role: m.role, content: m.content }));
  }

  // Reads data-only SSE from the body, calling onData(json) per event until [DONE].
  async function readStream(body, onData) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        if (!data) continue;
        if (data === '[DONE]') return;
        onData(JSON.parse(data));
      }
    }
  }

  async function requestReply(conversation) {
    const message = { role: 'assistant', content: '', model: '', usage: null };
    conversation.messages.push(message);
    const controller = new AbortController();
    streaming = { controller, message, conversation, view: null };
    renderLog();
    streaming.view = log.lastElementChild;
    streaming.view.dataset.streaming = 'true';
    announceStatus('Assistant is replying…');
    let outcome = 'done';
    try {
      const response = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', ...authHeaders() },
        body: JSON.stringify({ messages: wireMessages({ messages: conversation.messages.slice(0, -1) }), stream: true,
                               stream_options: { include_usage: true } }),
        signal: controller.signal,
      });
      const backend = response.headers.get('X-Llamachat-Backend');
      if (backend) showBackend(backend === 'offline', backend === 'offline' ? 'offline' : '');
      if (!response.ok || !(response.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
        let error = null;
        try { error = (await response.json()).error; } catch { /* not JSON: the status says enough */ }
        if (response.status === 401) outcome = 'unauthorized';
        message.failed = true;
        message.notice = response.status === 401 ? 'This server needs an API key.'
          : explain(response.status, error, response.headers.get('Retry-After'));
        message.noticeKind = 'error';
      } else {
        await readStream(response.body, (chunk) => {
          if (chunk.error) {
            message.notice = explain(0, chunk.error, null);
            message.noticeKind = 'error';
            if (chunk.error.code === 'deadline_exceeded' || chunk.error.code === 'model_timeout') message.cut = true;
            if (!message.content) message.failed = true;
            return;
          }
          if (chunk.model) message.model = chunk.model;
          if (chunk.usage) message.usage = chunk.usage;
          const choice = chunk.choices && chunk.choices[0];
          if (choice && choice.delta && typeof choice.delta.content === 'string') {
            message.content += choice.delta.content;
            scheduleStreamRender();
          }
          if (choice && choice.finish_reason === 'length') {
            message.notice = 'The reply was cut at the token limit.';
            message.cut = true;
          }
        });
      }
    } catch (err) {
      if (err.name === 'AbortError') {
        message.notice = 'Stopped.';
        message.noticeKind = 'stopped';
      } else {
        message.notice = 'The network connection to llamachat failed' + (message.content ? ' during the reply; the text so far is kept.' : '.') +
          ' Check your connection and try again.';
        message.noticeKind = 'error';
        if (!message.content) message.failed = true;
      }
    }
    const view = streaming.view;
    streaming = null;
    if (outcome === 'unauthorized') {
      conversation.messages.pop();
      save();
      renderLog();
      const saved = await askForKey();
      if (saved) return requestReply(conversation);
      conversation.messages.push(message);
    }
    conversation.updated = Date.now();
    save();
    renderList();
    if (conversation === current()) finishView(view, message);
    updateControls();
    announceStatus(message.notice ? message.notice : 'Reply complete.');
    input.focus();
  }

  function send() {
    if (streaming) return;
    const text = input.value;
    if (!text.trim()) return;
    let conversation = current();
    if (!conversation) {
      conversation = { id: newId(), title: titleFrom(text), renamed: false, messages: [], updated: Date.now() };
      conversations.push(conversation);
      currentId = conversation.id;
    }
    // A failed last reply is replaced by the new turn's.
    const last = conversation.messages[conversation.messages.length - 1];
    if (last && last.failed) conversation.messages.pop();
    conversation.messages.push({ role: 'user', content: text });
    if (!conversation.renamed && conversation.messages.filter((m) => m.role === 'user').length === 1) {
      conversation.title = titleFrom(text);
    }
    conversation.updated = Date.now();
    input.value = '';
    save();
    renderList();
    requestReply(conversation);
  }

  function stop() {
    if (streaming) streaming.controller.abort();
  }

  function regenerate() {
    const conversation = current();
    if (streaming || !conversation) return;
    const last = conversation.messages[conversation.messages.length - 1];
    if (!last || last.role !== 'assistant') return;
    conversation.messages.pop();
    requestReply(conversation);
  }

  // ---- Conversations ------------------------------------------------------------------------------------

  function switchTo(id) {
    if (streaming) stop();
    currentId = id;
    save();
    renderList();
    renderLog();
    input.focus();
  }

  function newChat() {
    if (streaming) stop();
    currentId = null;
    save();
    renderList();
    renderLog();
    input.focus();
  }

  function rename() {
    const conversation = current();
    if (!conversation) return;
    const dialog = $('rename-dialog');
    const field = $('rename-input');
    field.value = conversation.title;
    const close = () => {
      $('rename-form').removeEventListener('submit', onSubmit);
      $('rename-cancel').removeEventListener('click', onCancel);
      if (dialog.open) dialog.close();
      $('rename').focus();
    };
    const onSubmit = (event) => {
      event.preventDefault();
      const value = field.value.trim();
      if (value) {
        conversation.title = value.slice(0, 120);
        conversation.renamed = true;
        save();
        renderList();
      }
      close();
    };
    const onCancel = () => close();
    $('rename-form').addEventListener('submit', onSubmit);
    $('rename-cancel').addEventListener('click', onCancel);
    dialog.showModal();
    field.select();
  }

  function remove() {
    const conversation = current();
    if (!conversation) return;
    if (streaming && streaming.conversation === conversation) stop();
    conversations = conversations.filter((c) => c !== conversation);
    const next = conversations.slice().sort((a, b) => b.updated - a.updated)[0];
    currentId = next ? next.id : null;
    save();
    renderList();
    renderLog();
    announceStatus('Conversation deleted.');
    input.focus();
  }

  // ---- Wiring -------------------------------------------------------------------------------------------

  $('composer').addEventListener('submit', (event) => { event.preventDefault(); send(); });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && streaming) {
      event.preventDefault();
      stop();
    }
  });
  stopButton.addEventListener('click', stop);
  regenerateButton.addEventListener('click', regenerate);
  $('new-chat').addEventListener('click', newChat);
  $('rename').addEventListener('click', rename);
  $('delete').addEventListener('click', remove);
  window.addEventListener('storage', (event) => {
    if (event.key === STORE_KEY && !streaming) {
      conversations = load();
      renderList();
      renderLog();
    }
  });

  if (currentId && !current()) currentId = null;
  renderList();
  renderLog();
  checkBackend();
  input.focus();
})();
