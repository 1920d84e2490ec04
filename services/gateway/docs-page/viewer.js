// A small, dependency-free renderer of the gateway's OpenAPI document, so the
// reference works on machines without internet access (no CDN scripts).
// Everything from the document is put into the page as text nodes or as elements
// built here (never through innerHTML), so no description can inject markup.
(function () {
  'use strict';
  const content = document.getElementById('content');

  // Appends children to a node: arrays at any depth, strings as text; null, undefined
  // and false are left out (DOM's own append would write them as the text "null").
  function add(node, ...children) {
    for (const child of children.flat(Infinity)) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) if (value != null && value !== false) node.setAttribute(key, value);
    return add(node, children);
  }

  // Markdown of descriptions, the small part of it the document uses: paragraphs,
  // "-", "*" and "1." lists, `code`, **bold**, *emphasis* and [links](url).
  const INLINE = /`([^`]+)`|\*\*(\S(?:.*?\S)?)\*\*|\*(\S(?:[^*]*?\S)?)\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
  const SAFE_URL = /^(?:https?:\/\/|mailto:|\/(?!\/)|#|\.\.?\/)/i;

  function inline(text) {
    const parts = [];
    const source = String(text == null ? '' : text);
    let last = 0;
    for (const m of source.matchAll(INLINE)) {
      if (m.index > last) parts.push(source.slice(last, m.index));
      const [whole, code, strong, em, linkText, href] = m;
      if (code !== undefined) parts.push(el('code', {}, code));
      else if (strong !== undefined) parts.push(el('strong', {}, inline(strong)));
      else if (em !== undefined) parts.push(el('em', {}, inline(em)));
      else if (SAFE_URL.test(href)) parts.push(el('a', { href, rel: 'noopener noreferrer' }, inline(linkText)));
      else parts.push(whole); // javascript: and other schemes stay plain text
      last = m.index + whole.length;
    }
    if (last < source.length) parts.push(source.slice(last));
    return parts;
  }

  function markdown(text) {
    const blocks = [];
    let paragraph = [];
    let list = null;
    const endParagraph = () => {
      if (paragraph.length) blocks.push(el('p', {}, inline(paragraph.join(' '))));
      paragraph = [];
    };
    const endList = () => {
      if (list)
        blocks.push(
          el(
            list.tag,
            {},
            list.items.map((item) => el('li', {}, inline(item))),
          ),
        );
      list = null;
    };
    for (const raw of String(text == null ? '' : text).split('\n')) {
      const line = raw.trim();
      const item = /^(?:([-*+])|\d{1,3}[.)])\s+(.*)$/.exec(line);
      if (!line) {
        endParagraph();
        endList();
      } else if (item) {
        endParagraph();
        const tag = item[1] ? 'ul' : 'ol';
        if (list && list.tag !== tag) endList();
        if (!list) list = { tag, items: [] };
        list.items.push(item[2]);
      } else if (list) {
        list.items[list.items.length - 1] += ` ${line}`;
      } else {
        paragraph.push(line);
      }
    }
    endParagraph();
    endList();
    return blocks;
  }

  function resolve(doc, schema) {
    if (schema && schema.$ref) {
      const name = schema.$ref.split('/').pop();
      return { name, schema: doc.components.schemas[name] };
    }
    return { name: undefined, schema };
  }

  // Puts `separator` between the items (each an array of parts).
  function joined(items, separator) {
    return items.flatMap((item, i) => (i ? [separator, item] : [item]));
  }

  // Renders a JSON Schema as a TypeScript-like sketch (text and <code> parts of
  // descriptions), following $refs once per path.
  function sketch(doc, schema, indent, seen) {
    const pad = '  '.repeat(indent);
    const { name, schema: s } = resolve(doc, schema);
    if (!s) return ['unknown'];
    if (name && seen.has(name)) return [name];
    const nextSeen = name ? new Set([...seen, name]) : seen;
    if (s.enum) return [s.enum.map((v) => JSON.stringify(v)).join(' | ')];
    if (s.const !== undefined) return [JSON.stringify(s.const)];
    if (s.anyOf || s.oneOf)
      return joined(
        (s.anyOf || s.oneOf).map((x) => sketch(doc, x, indent, nextSeen)),
        ' | ',
      );
    if (s.allOf)
      return joined(
        s.allOf.map((x) => sketch(doc, x, indent, nextSeen)),
        ' & ',
      );
    const type = Array.isArray(s.type) ? s.type.join(' | ') : s.type;
    if (type === 'array') return ['Array<', sketch(doc, s.items, indent, nextSeen), '>'];
    if (type === 'object' || s.properties) {
      const required = new Set(s.required || []);
      const lines = Object.entries(s.properties || {}).map(([key, value]) => {
        const notes = constraints(value);
        return [`${pad}  ${key}${required.has(key) ? '' : '?'}: `, sketch(doc, value, indent + 1, nextSeen), notes.length ? ['  // ', notes] : [], '\n'];
      });
      return lines.length ? ['{\n', lines, `${pad}}`] : ['{}'];
    }
    return [type || 'any'];
  }

  // The constraints of a schema as text, then its description as markdown.
  function constraints(s) {
    const notes = [];
    if (s.format) notes.push(s.format);
    if (s.minLength !== undefined) notes.push(`min length ${s.minLength}`);
    if (s.maxLength !== undefined) notes.push(`max length ${s.maxLength}`);
    if (s.minimum !== undefined) notes.push(`≥ ${s.minimum}`);
    if (s.maximum !== undefined) notes.push(`≤ ${s.maximum}`);
    if (s.maxItems !== undefined) notes.push(`at most ${s.maxItems} items`);
    if (s.pattern) notes.push(`pattern ${s.pattern}`);
    if (s.default !== undefined) notes.push(`default ${JSON.stringify(s.default)}`);
    const text = notes.join(', ');
    if (!s.description) return text ? [text] : [];
    return [text ? `${text}, ` : '', inline(s.description)];
  }

  // A media type's examples: `example`, or each entry of `examples` (with its name and summary when there are several).
  function examples(media, open) {
    const entries = [];
    if (media.example !== undefined) entries.push({ value: media.example });
    for (const [name, ex] of Object.entries(media.examples || {})) entries.push({ name, summary: ex.summary, value: ex.value });
    if (!entries.length) return null;
    const show = (value) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));
    return el(
      'details',
      { class: 'example', open: open ? '' : null },
      el('summary', {}, entries.length === 1 ? 'Example' : `Examples (${entries.length})`),
      entries.map((e) => [
        entries.length > 1 ? el('p', { class: 'example-name' }, el('code', {}, e.name), e.summary ? [' ', inline(e.summary)] : null) : null,
        el('pre', {}, show(e.value)),
      ]),
    );
  }

  function operation(doc, method, path, op) {
    const body = el('div', { class: 'op-body' });
    if (op.description) add(body, el('div', { class: 'md' }, markdown(op.description)));
    if (op.parameters && op.parameters.length) {
      add(
        body,
        el('h4', {}, 'Parameters'),
        el(
          'table',
          {},
          el('tr', {}, el('th', {}, 'name'), el('th', {}, 'in'), el('th', {}, 'schema'), el('th', {}, 'notes')),
          op.parameters.map((p) =>
            el(
              'tr',
              {},
              el('td', { class: 'path' }, p.name + (p.required ? '' : '?')),
              el('td', {}, p.in),
              el('td', {}, sketch(doc, p.schema, 0, new Set())),
              el('td', {}, constraints(p.schema || {})),
            ),
          ),
        ),
      );
    }
    for (const [type, media] of Object.entries((op.requestBody && op.requestBody.content) || {})) {
      add(body, el('h4', {}, `Request body (${type})`), el('pre', {}, sketch(doc, media.schema, 0, new Set())), examples(media, true));
    }
    add(body, el('h4', {}, 'Responses'));
    for (const [status, response] of Object.entries(op.responses)) {
      const media = Object.entries(response.content || {});
      add(
        body,
        el(
          'div',
          { class: `response${Number(status) >= 400 ? ' error' : ''}` },
          el('div', { class: 'response-head' }, el('span', { class: 'status' }, status), el('div', { class: 'md' }, markdown(response.description))),
          media.map(([type, m]) => [
            // Every error body has the one public shape (described at the top): its codes are listed above, its examples below.
            Number(status) < 400 && type === 'application/json' ? el('pre', {}, sketch(doc, m.schema, 0, new Set())) : null,
            type === 'application/json' ? null : el('p', { class: 'muted' }, type),
            // Success examples open; error examples (one per code) on request.
            examples(m, Number(status) < 400),
          ]),
        ),
      );
    }
    const adminOnly = op['x-required-role'] === 'admin';
    return el(
      'details',
      { class: 'op', id: op.operationId },
      el(
        'summary',
        {},
        el('span', { class: `method ${method}` }, method),
        el('span', { class: 'path' }, path),
        el('span', {}, op.summary || ''),
        adminOnly ? el('span', { class: 'badge admin', title: 'Needs the access token of an admin account' }, 'admin only') : null,
        op.security && !adminOnly ? el('span', { class: 'lock' }, 'needs a bearer token') : null,
      ),
      body,
    );
  }

  function render(doc) {
    document.getElementById('title').textContent = `${doc.info.title} (v${doc.info.version})`;
    content.replaceChildren(el('div', { class: 'md intro' }, markdown(doc.info.description)));
    const tags = (doc.tags || []).map((t) => t.name);
    const byTag = new Map(tags.map((t) => [t, []]));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const tag = (op.tags && op.tags[0]) || 'other';
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push(operation(doc, method, path, op));
      }
    }
    const described = new Map((doc.tags || []).map((t) => [t.name, t.description]));
    for (const [tag, ops] of byTag) {
      if (ops.length) add(content, el('h2', {}, tag), described.get(tag) ? el('div', { class: 'md muted' }, markdown(described.get(tag))) : null, ops);
    }
    content.normalize();
    document.body.dataset.rendered = 'true';
  }

  fetch('/api/openapi.json')
    .then((res) => {
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res.json();
    })
    .then(render)
    .catch((err) => content.replaceChildren(el('p', {}, `Could not load the OpenAPI document: ${err.message}`)));
})();
