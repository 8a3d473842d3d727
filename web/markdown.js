// llamachat Markdown: renders a model's Markdown into DOM nodes built with createElement and textContent only,
// so no text from the model or the user can ever become markup (raw HTML shows as text, entities stay as
// typed). Links are kept only for http:, https: and mailto: and open in a new tab without referrer or opener;
// images are never loaded (their alt text is shown). An unclosed code fence renders as code, so a reply that
// is still streaming looks right. Code blocks get a small highlighter of our own (spans with token classes).
'use strict';

(function () {
  const LINK_SCHEMES = new Set(['http:', 'https:', 'mailto:']);

  // A new element with an optional class and text (text, never markup).
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The URL as the browser would resolve it, when its scheme is one we allow; otherwise null.
  function safeUrl(raw) {
    const trimmed = raw.trim();
    if (!/^(https?:\/\/|mailto:)/i.test(trimmed)) return null;
    try {
      const url = new URL(trimmed);
      return LINK_SCHEMES.has(url.protocol) ? url.href : null;
    } catch {
      return null;
    }
  }

  function link(href, children) {
    const a = el('a');
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.append(...children);
    return a;
  }

  // ---- Inline ------------------------------------------------------------------------------------------

  const ESCAPABLE = '\\`*_{}[]()#+-.!|~<>"\'';

  // Index of the ']' that closes the '[' at `open`, honouring nesting and escapes; -1 when none.
  function closingBracket(text, open) {
    let depth = 0;
    for (let i = open; i < text.length; i++) {
      const c = text[i];
      if (c === '\\') { i++; continue; }
      if (c === '[') depth++;
      else if (c === ']' && --depth === 0) return i;
    }
    return -1;
  }

  // Parses "(url "title")" at `open`; returns {url, end} or null.
  function linkTarget(text, open) {
    if (text[open] !== '(') return null;
    let depth = 0;
    for (let i = open; i < text.length; i++) {
      const c = text[i];
      if (c === '\\') { i++; continue; }
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        const inner = text.slice(open + 1, i).trim();
        const url = inner.replace(/\s+("[^"]*"|'[^']*')$/, '').replace(/^<(.*)>$/, '$1');
        return { url, end: i + 1 };
      }
      else if (c === '\n') return null;
    }
    return null;
  }

  const EMPHASIS = [
    { marker: '**', tag: 'strong' }, { marker: '__', tag: 'strong' }, { marker: '~~', tag: 'del' },
    { marker: '*', tag: 'em' }, { marker: '_', tag: 'em' },
  ];

  // Appends the inline content of `text` to `parent`. `inLink` stops links nesting in links.
  function renderInline(text, parent, inLink) {
    let plain = '';
    const flush = () => {
      if (!plain) return;
      const lines = plain.split('\n');
      lines.forEach((line, i) => {
        if (i > 0) parent.append(el('br'));
        if (line) parent.append(document.createTextNode(line));
      });
      plain = '';
    };
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\' && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) {
        plain += text[i + 1];
        i += 2;
        continue;
      }
      if (c === '`') {
        const run = /^`+/.exec(text.slice(i))[0];
        const close = text.indexOf(run, i + run.length);
        if (close > 0) {
          flush();
          let code = text.slice(i + run.length, close).replace(/\n/g, ' ');
          if (/^ .*[^ ].* $/.test(code)) code = code.slice(1, -1);
          parent.append(el('code', 'inline', code));
          i = close + run.length;
          continue;
        }
        plain += run;
        i += run.length;
        continue;
      }
      if (c === '!' && text[i + 1] === '[') {
        // An image: never fetched; what it would show is said in words.
        const close = closingBracket(text, i + 1);
        const target = close > 0 ? linkTarget(text, close + 1) : null;
        if (target) {
          flush();
          const alt = text.slice(i + 2, close);
          parent.append(el('span', 'image-alt', alt ? `[image: ${alt}]` : '[image]'));
          i = target.end;
          continue;
        }
      }
      if (c === '[' && !inLink) {
        const close = closingBracket(text, i);
        const target = close > 0 ? linkTarget(text, close + 1) : null;
        if (target) {
          flush();
          const href = safeUrl(target.url);
          const holder = href ? null : el('span', 'link-blocked');
          const label = document.createDocumentFragment();
          renderInline(text.slice(i + 1, close), label, true);
          if (href) parent.append(link(href, [label]));
          else { holder.append(label); parent.append(holder); }
          i = target.end;
          continue;
        }
      }
      if (c === '<') {
        const auto = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/i.exec(text.slice(i));
        const href = auto && !inLink ? safeUrl(auto[1]) : null;
        if (href) {
          flush();
          parent.append(link(href, [document.createTextNode(auto[1])]));
          i += auto[0].length;
          continue;
        }
      }
      if ((c === 'h' || c === 'H') && !inLink && (i === 0 || /[\s(]/.test(text[i - 1]))) {
        const bare = /^https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"*_~]/i.exec(text.slice(i));
        const href = bare ? safeUrl(bare[0]) : null;
        if (href) {
          flush();
          parent.append(link(href, [document.createTextNode(bare[0])]));
          i += bare[0].length;
          continue;
        }
      }
      if (c === '*' || c === '_' || c === '~') {
        let matched = false;
        for (const { marker, tag } of EMPHASIS) {
          if (!text.startsWith(marker, i)) continue;
          const after = text[i + marker.length];
          if (!after || /\s/.test(after)) continue;
          // '_' inside a word (snake_case) is not emphasis.
          if (marker[0] === '_' && i > 0 && /\w/.test(text[i - 1])) continue;
          let close = text.indexOf(marker, i + marker.length + 1);
          while (close > 0 && (/\s/.test(text[close - 1]) || (marker === '*' && text[close + 1] === '*' && text[close - 1] !== '*'))) {
            close = text.indexOf(marker, close + 1);
          }
          if (close < 0) continue;
          if (marker[0] === '_' && /\w/.test(text[close + marker.length] || '')) continue;
          flush();
          const node = el(tag);
          renderInline(text.slice(i + marker.length, close), node, inLink);
          parent.append(node);
          i = close + marker.length;
          matched = true;
          break;
        }
        if (matched) continue;
      }
      plain += c;
      i++;
    }
    flush();
  }

  // ---- Code highlighting --------------------------------------------------------------------------------

  const KEYWORDS = new Set((
    'if else for while do return break continue switch case default function const let var class new delete ' +
    'this try catch finally throw async await import export from yield typeof instanceof in of static public ' +
    'private protected struct enum union namespace using template typename auto void int long short char ' +
    'bool float double unsigned signed include define def lambda pass elif with as is not and or None True ' +
    'False true false null nullptr undefined fn let mut impl trait pub use mod match loop go func package ' +
    'type interface select chan defer SELECT FROM WHERE INSERT INTO UPDATE SET VALUES CREATE TABLE JOIN ON ' +
    'echo then fi done esac local export'
  ).split(' '));

  const HASH_COMMENTS = new Set(['python', 'py', 'sh', 'bash', 'shell', 'zsh', 'ruby', 'rb', 'yaml', 'yml',
    'toml', 'perl', 'r', 'makefile', 'dockerfile', 'cmake']);

  // Splits code into [class, text] tokens: comments, strings, numbers, keywords, the rest.
  function tokenize(code, language) {
    const hash = HASH_COMMENTS.has(language);
    const slash = !hash || language === '';
    const tokens = [];
    let i = 0;
    let plain = '';
    const push = (cls, text) => {
      if (plain) { tokens.push(['', plain]); plain = ''; }
      tokens.push([cls, text]);
    };
    while (i < code.length) {
      const rest = code.slice(i);
      let m = null;
      if ((slash && (m = /^\/\/[^\n]*/.exec(rest) || /^\/\*[\s\S]*?(\*\/|$)/.exec(rest))) ||
          (hash && (m = /^#[^\n]*/.exec(rest))) || (language === 'sql' && (m = /^--[^\n]*/.exec(rest)))) {
        push('tok-comment', m[0]);
      } else if ((m = /^("(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|`(?:[^`\\]|\\.)*`?)/.exec(rest))) {
        push('tok-string', m[0]);
      } else if ((m = /^\b(0x[0-9a-fA-F]+|\d+(\.\d+)?([eE][+-]?\d+)?)\b/.exec(rest)) && !/\w/.test(code[i - 1] || '')) {
        push('tok-number', m[0]);
      } else if ((m = /^[A-Za-z_$][\w$]*/.exec(rest))) {
        if (KEYWORDS.has(m[0])) push('tok-keyword', m[0]);
        else plain += m[0];
      } else {
        plain += code[i];
        i++;
        continue;
      }
      i += m[0].length;
    }
    if (plain) tokens.push(['', plain]);
    return tokens;
  }

  function codeBlock(code, language, options) {
    const wrapper = el('div', 'code-block');
    const head = el('div', 'code-head');
    head.append(el('span', 'code-lang', language || 'text'));
    if (options.onCopy) {
      const copy = el('button', 'copy', 'Copy');
      copy.type = 'button';
      copy.addEventListener('click', () => options.onCopy(code, copy));
      head.append(copy);
    }
    const pre = el('pre');
    const codeEl = el('code');
    if (language) codeEl.className = 'language-' + language.replace(/[^\w+#-]/g, '');
    for (const [cls, text] of tokenize(code, language.toLowerCase())) {
      codeEl.append(cls ? el('span', cls, text) : document.createTextNode(text));
    }
    pre.append(codeEl);
    wrapper.append(head, pre);
    return wrapper;
  }

  // ---- Blocks -------------------------------------------------------------------------------------------

  const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
  const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$/;
  const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
  const QUOTE = /^ {0,3}>\s?(.*)$/;
  const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(\s+(.*))?$/;
  const TABLE_DIVIDER = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

  function splitRow(line) {
    let row = line.trim();
    if (row.startsWith('|')) row = row.slice(1);
    if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
    const cells = [];
    let cell = '';
    for (let i = 0; i < row.length; i++) {
      if (row[i] === '\\' && row[i + 1] === '|') { cell += '|'; i++; continue; }
      if (row[i] === '|') { cells.push(cell.trim()); cell = ''; continue; }
      cell += row[i];
    }
    cells.push(cell.trim());
    return cells;
  }

  function startsBlock(line, next) {
    return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || LIST_ITEM.test(line) ||
      (line.includes('|') && next !== undefined && TABLE_DIVIDER.test(next) && next.includes('-'));
  }

  function renderBlocks(lines, parent, options) {
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (!line.trim()) { i++; continue; }
      let m;
      if ((m = FENCE.exec(line))) {
        const fence = m[1];
        const body = [];
        i++;
        while (i < lines.length && !(lines[i].trim().startsWith(fence[0].repeat(fence.length)) &&
                                     /^ {0,3}(`{3,}|~{3,})\s*$/.test(lines[i]) && lines[i].trim()[0] === fence[0])) {
          body.push(lines[i]);
          i++;
        }
        i++;  // the closing fence, or past the end while it is still streaming
        parent.append(codeBlock(body.join('\n'), m[2] || '', options));
        continue;
      }
      if ((m = HEADING.exec(line))) {
        const h = el('h' + Math.min(6, m[1].length + 2));  // the page's own h1/h2 stay above replies
        h.dataset.level = String(m[1].length);
        renderInline(m[2] || '', h, false);
        parent.append(h);
        i++;
        continue;
      }
      if (RULE.test(line)) {
        parent.append(el('hr'));
        i++;
        continue;
      }
      if (QUOTE.test(line)) {
        const inner = [];
        while (i < lines.length && (m = QUOTE.exec(lines[i]))) { inner.push(m[1]); i++; }
        const quote = el('blockquote');
        renderBlocks(inner, quote, options);
        parent.append(quote);
        continue;
      }
      if ((m = LIST_ITEM.exec(line))) {
        const ordered = /\d/.test(m[2]);
        const list = el(ordered ? 'ol' : 'ul');
        if (ordered && parseInt(m[2], 10) !== 1) list.start = parseInt(m[2], 10);
        while (i < lines.length && (m = LIST_ITEM.exec(lines[i])) && /\d/.test(m[2]) === ordered) {
          const indent = m[1].length + m[2].length + 1;
          const body = [m[4] || ''];
          i++;
          while (i < lines.length) {
            const next = lines[i];
            if (!next.trim()) {
              if (i + 1 < lines.length && /^\s{2,}\S/.test(lines[i + 1])) { body.push(''); i++; continue; }
              break;
            }
            if (/^\s{2,}/.test(next)) { body.push(next.slice(Math.min(indent, next.search(/\S/)))); i++; continue; }
            if (LIST_ITEM.test(next) || startsBlock(next, lines[i + 1])) break;
            body.push(next);  // a lazy continuation line
            i++;
          }
          const item = el('li');
          if (body.length === 1 || !body.slice(1).some((l) => startsBlock(l) || !l.trim())) {
            renderInline(body.join('\n'), item, false);
          } else {
            renderBlocks(body, item, options);
          }
          list.append(item);
        }
        parent.append(list);
        continue;
      }
      if (line.includes('|') && i + 1 < lines.length && TABLE_DIVIDER.test(lines[i + 1]) && lines[i + 1].includes('-')) {
        const header = splitRow(line);
        const aligns = splitRow(lines[i + 1]).map((d) =>
          d.startsWith(':') && d.endsWith(':') ? 'center' : d.endsWith(':') ? 'right' : d.startsWith(':') ? 'left' : '');
        const wrap = el('div', 'table-wrap');
        const table = el('table');
        const thead = el('thead');
        const headRow = el('tr');
        header.forEach((cell, c) => {
          const th = el('th');
          th.scope = 'col';
          if (aligns[c]) th.className = 'align-' + aligns[c];
          renderInline(cell, th, false);
          headRow.append(th);
        });
        thead.append(headRow);
        const tbody = el('tbody');
        i += 2;
        while (i < lines.length && lines[i].trim() && lines[i].includes('|')) {
          const row = el('tr');
          const cells = splitRow(lines[i]);
          header.forEach((_, c) => {
            const td = el('td');
            if (aligns[c]) td.className = 'align-' + aligns[c];
            renderInline(cells[c] || '', td, false);
            row.append(td);
          });
          tbody.append(row);
          i++;
        }
        table.append(thead, tbody);
        wrap.append(table);
        parent.append(wrap);
        continue;
      }
      const para = [];
      while (i < lines.length && lines[i].trim() && (para.length === 0 || !startsBlock(lines[i], lines[i + 1]))) {
        para.push(lines[i]);
        i++;
      }
      const p = el('p');
      renderInline(para.join('\n').trim(), p, false);
      parent.append(p);
    }
  }

  // Replaces the children of `container` with the rendering of `markdown`.
  // options.onCopy(text, button): when given, each code block gets a "Copy" button that calls it.
  function render(markdown, container, options = {}) {
    const fragment = document.createDocumentFragment();
    renderBlocks(String(markdown).replace(/\r\n?/g, '\n').split('\n'), fragment, options);
    container.replaceChildren(fragment);
  }

  window.LlamaMarkdown = Object.freeze({ render, tokenize, safeUrl, el });
})();
